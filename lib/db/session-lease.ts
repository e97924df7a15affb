import {
  ACTIVE_STATUSES,
  AWAITING_RUNNER_STATUSES,
  type SessionStatus,
  statusList,
  TERMINAL_STATUSES,
  TRANSITIONS,
} from "../lifecycle.ts";
import type { ClaimOptions, SessionRow } from "../session/ports.ts";
import type { Sql } from "./client.ts";
import { type NotifyChannel, sendNotify } from "./notify-payloads.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";
import { toSessionRow } from "./sessions.ts";

export type { ClaimOptions } from "../session/ports.ts";

/** NOTIFY channel that wakes local workers when a session needs a background runner. */
export const DISPATCH_CHANNEL = "session_dispatch" satisfies NotifyChannel;
/** NOTIFY channel that tells whichever process runs a session to stop it. */
export const CONTROL_CHANNEL = "session_control" satisfies NotifyChannel;

const ACTIVE = statusList(ACTIVE_STATUSES);
const AWAITING_RUNNER = statusList(AWAITING_RUNNER_STATUSES);
const TERMINAL = statusList(TERMINAL_STATUSES);

type ToBackground = (
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
) => Promise<number | null>;

/**
 * Live → background, the fencing step of the handoff: bumps the epoch (the live runner can no longer
 * write) and sets status `background` in one statement. Returns the new epoch, or null if fenced.
 * The epoch is raised so the live runner, which may still be streaming (a route past its budget, a
 * zombie), can no longer append. Unowned with a pending lease: a worker may claim it now; if the
 * dispatch is lost, the lease expires and the reconciler dispatches again.
 */
export const handOffToBackground: ToBackground = (sql, sessionId, epoch, leaseSeconds) =>
  moveToBackground(sql, sessionId, epoch, leaseSeconds, { from: TRANSITIONS.handOff.from, expired: false });

/** Bumps the epoch of a session whose lease expired so a re-dispatch fences any zombie runner. */
export const bumpExpiredEpoch: ToBackground = (sql, sessionId, epoch, leaseSeconds) =>
  moveToBackground(sql, sessionId, epoch, leaseSeconds, { from: TRANSITIONS.expire.from, expired: true });

/**
 * The one statement of `handOff` and `expire`: epoch + 1, `background`, unowned with a pending lease,
 * only from `from` at the caller's epoch (and, for `expire`, once the lease has run out); readers
 * hear of it when the transaction commits.
 */
async function moveToBackground(
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
  guard: { from: readonly SessionStatus[]; expired: boolean },
): Promise<number | null> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ epoch: number; durable_offset: number }[]>`
      update sessions
      set epoch = epoch + 1, status = 'background', runner = null, lease_owner = null,
          lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), updated_at = now()
      where id = ${sessionId} and epoch = ${epoch} and status in (${tx.unsafe(statusList(guard.from))})
        and (not ${guard.expired}::boolean or lease_expires_at < now())
      returning epoch, durable_offset`;
    if (!row) return null;
    await sendNotify(tx, SESSION_LOG_CHANNEL, { s: sessionId, o: row.durable_offset, st: "background" });
    return row.epoch;
  });
}

/**
 * The claim's update: the new producer takes the lease at epoch + 1. The epoch is raised so an
 * earlier attempt of the same job (a retried Trigger.dev run, a worker that lost its lease but still
 * runs) is fenced out by this one.
 */
function claimed(sql: Sql, options: ClaimOptions) {
  return sql`
    epoch = s.epoch + 1, status = 'background', runner = ${options.runner}, lease_owner = ${options.owner},
    lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds}),
    seam_offsets = case when not (${sql.json([...options.detachableAgents])}::jsonb ? s.agent)
                            and s.durable_offset > 0 and not (s.durable_offset = any(s.seam_offsets))
                        then array_append(s.seam_offsets, s.durable_offset) else s.seam_offsets end,
    updated_at = now()`;
}

/**
 * Waiting for a runner: nobody holds it. A producer whose lease expired is not claimable directly:
 * recovery (`expire`, then a dispatch) makes it so, the one way a lost producer is replaced.
 */
function claimable(sql: Sql) {
  return sql`
    s.status in (${sql.unsafe(AWAITING_RUNNER)}) and not s.cancel_requested and s.lease_owner is null`;
}

/** The session's agent is one the claiming runner knows. */
function runnable(sql: Sql, options: ClaimOptions) {
  return sql`${sql.json([...options.knownAgents])}::jsonb ? s.agent`;
}

/**
 * Takes one session's lease as its new producer (the Trigger.dev task claiming its dispatch): only if
 * the epoch is still the dispatch's, or the session is claimable anyway.
 */
export async function claimSession(
  sql: Sql,
  sessionId: string,
  options: ClaimOptions & { expectedEpoch?: number },
): Promise<SessionRow | null> {
  const [row] = await sql`
    update sessions s set ${claimed(sql, options)}
    where s.id = ${sessionId} and s.status in (${sql.unsafe(ACTIVE)}) and not s.cancel_requested
      and ${runnable(sql, options)} and (${options.expectedEpoch ?? null}::int = s.epoch or ${claimable(sql)})
    returning *`;
  return row ? toSessionRow(row as never) : null;
}

/**
 * Claims the next session that needs a background runner, in one statement: the row is locked by
 * `FOR UPDATE SKIP LOCKED` inside the same statement that takes it, so concurrent workers never pick
 * the same session and never miss one another's leftovers. Null when none is waiting.
 */
export async function claimNextSession(sql: Sql, options: ClaimOptions): Promise<SessionRow | null> {
  return (await claimWaitingSessions(sql, options, 1))[0] ?? null;
}

/**
 * Claims up to `limit` of the sessions waiting longest for a background runner, in one statement
 * (as `claimNextSession`, SKIP LOCKED): a worker with room for many takes them in one round trip
 * instead of one each. The longest-waiting are taken (returned in no particular order); empty when
 * none is waiting.
 */
export async function claimWaitingSessions(
  sql: Sql,
  options: ClaimOptions,
  limit: number,
): Promise<SessionRow[]> {
  const rows = await sql`
    update sessions s set ${claimed(sql, options)}
    where s.id in (select s.id from sessions s where ${claimable(sql)} and ${runnable(sql, options)}
                   order by s.updated_at limit ${limit} for update skip locked)
    returning *`;
  return rows.map((row) => toSessionRow(row as never));
}

/**
 * Sessions whose producer's lease expired while not finished (for the scheduled reconciler). A
 * session nobody holds whose agent this reconciler does not know is left alone: re-dispatching it
 * would wake no runner that can take it, and would restart its wait (`findSessionsAbandonedForAgent`).
 */
export async function findExpiredLeases(
  sql: Sql,
  knownAgents: readonly string[],
  limit = 50,
): Promise<{ id: string; epoch: number; userId: string }[]> {
  const rows = await sql<{ id: string; epoch: number; user_id: string }[]>`
    select id, epoch, user_id from sessions
    where status in (${sql.unsafe(ACTIVE)}) and lease_expires_at < now()
      and (lease_owner is not null or ${sql.json([...knownAgents])}::jsonb ? agent)
    order by lease_expires_at
    limit ${limit}`;
  return rows.map((row) => ({ id: row.id, epoch: row.epoch, userId: row.user_id }));
}

export async function recordRunId(sql: Sql, sessionId: string, epoch: number, runId: string): Promise<void> {
  await sql`update sessions set run_id = ${runId}, updated_at = now() where id = ${sessionId} and epoch = ${epoch}`;
}

/** Flags a cancel and tells every process; the runner (if alive) stops, flushes and finishes. */
export async function requestCancel(sql: Sql, sessionId: string): Promise<boolean> {
  return sql.begin(async (tx) => {
    const rows = await tx`
      update sessions set cancel_requested = true, updated_at = now()
      where id = ${sessionId} and status not in (${tx.unsafe(TERMINAL)})
      returning id`;
    if (rows.length !== 1) return false;
    await sendNotify(tx, CONTROL_CHANNEL, { s: sessionId, a: "cancel" });
    return true;
  });
}

/**
 * Takes a session away from whoever runs it (none alive, or it did not answer a cancel): bumps the
 * epoch to fence any zombie and returns the new epoch, for `finishSession` to end it.
 */
export async function fenceOutRunner(sql: Sql, sessionId: string): Promise<number | null> {
  const [row] = await sql<{ epoch: number }[]>`
    update sessions set epoch = epoch + 1, lease_owner = null, lease_expires_at = null, updated_at = now()
    where id = ${sessionId} and status not in (${sql.unsafe(TERMINAL)})
    returning epoch`;
  return row?.epoch ?? null;
}

/** Wakes local workers. */
export async function notifyDispatch(sql: Sql, sessionId: string, epoch: number): Promise<void> {
  await sendNotify(sql, DISPATCH_CHANNEL, { s: sessionId, e: epoch });
}

/** A runner that stops without finishing (shutdown) hands the session back for another to claim now. */
export async function releaseLease(
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
): Promise<"ok" | "fenced"> {
  return sql.begin(async (tx) => {
    const rows = await tx`
      update sessions set lease_owner = null, runner = null, updated_at = now(),
                          lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
      where id = ${sessionId} and epoch = ${epoch} and status not in (${tx.unsafe(TERMINAL)})
      returning id`;
    if (rows.length !== 1) return "fenced" as const;
    await sendNotify(tx, DISPATCH_CHANNEL, { s: sessionId, e: epoch });
    return "ok" as const;
  });
}
