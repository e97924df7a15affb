import {
  ACTIVE_STATUSES,
  AWAITING_RUNNER_STATUSES,
  statusList,
  TERMINAL_STATUSES,
  TRANSITIONS,
} from "../lifecycle.ts";
import type { Sql } from "./client.ts";
import { encodeNotify, type NotifyChannel } from "./notify-payloads.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";
import { type RunnerKind, type SessionRow, toSessionRow } from "./sessions.ts";

/** NOTIFY channel that wakes local workers when a session needs a background runner. */
export const DISPATCH_CHANNEL = "session_dispatch" satisfies NotifyChannel;
/** NOTIFY channel that tells whichever process runs a session to stop it. */
export const CONTROL_CHANNEL = "session_control" satisfies NotifyChannel;

const ACTIVE = statusList(ACTIVE_STATUSES);
const AWAITING_RUNNER = statusList(AWAITING_RUNNER_STATUSES);
const TERMINAL = statusList(TERMINAL_STATUSES);

/**
 * Live → background, the fencing step of the handoff: bumps the epoch (the live runner can no longer
 * write) and sets status `background` in one statement. Returns the new epoch, or null if fenced.
 */
export async function handOffToBackground(
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
): Promise<number | null> {
  // The epoch is raised so the live runner, which may still be streaming (a route past its budget, a
  // zombie), can no longer append. Unowned with a pending lease: a worker may claim it now; if the
  // dispatch is lost, the lease expires and the reconciler dispatches again.
  const [row] = await sql<{ epoch: number }[]>`
    update sessions
    set epoch = epoch + 1, status = 'background', runner = null, lease_owner = null,
        lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), updated_at = now()
    where id = ${sessionId} and epoch = ${epoch} and status in (${sql.unsafe(statusList(TRANSITIONS.handOff.from))})
    returning epoch, pg_notify(${SESSION_LOG_CHANNEL},
      json_build_object('s', id::text, 'o', durable_offset, 'st', 'background')::text)`;
  return row?.epoch ?? null;
}

export interface ClaimOptions {
  runner: RunnerKind;
  owner: string;
  leaseSeconds: number;
  /**
   * Agents that re-attach at a cursor. Any other agent stopped mid-answer is continued with a new
   * request, so the claim records a seam at the durable offset.
   */
  detachableAgents: readonly string[];
  /**
   * The agents this runner can run (its `AGENTS`). A session of any other agent is never claimed: a
   * runner configured differently leaves it to one that knows it, rather than failing it.
   */
  knownAgents: readonly string[];
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
  const [row] = await sql`
    update sessions s set ${claimed(sql, options)}
    where s.id = (select s.id from sessions s where ${claimable(sql)} and ${runnable(sql, options)}
                  order by s.updated_at limit 1 for update skip locked)
    returning *`;
  return row ? toSessionRow(row as never) : null;
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

/** Bumps the epoch of a session whose lease expired so a re-dispatch fences any zombie runner. */
export async function bumpExpiredEpoch(
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
): Promise<number | null> {
  const [row] = await sql<{ epoch: number }[]>`
    update sessions set epoch = epoch + 1, status = 'background', lease_owner = null, runner = null,
                        lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), updated_at = now()
    where id = ${sessionId} and epoch = ${epoch} and lease_expires_at < now()
      and status in (${sql.unsafe(ACTIVE)})
    returning epoch`;
  return row?.epoch ?? null;
}

export async function recordRunId(sql: Sql, sessionId: string, epoch: number, runId: string): Promise<void> {
  await sql`update sessions set run_id = ${runId}, updated_at = now() where id = ${sessionId} and epoch = ${epoch}`;
}

/** Flags a cancel and tells every process; the runner (if alive) stops, flushes and finishes. */
export async function requestCancel(sql: Sql, sessionId: string): Promise<boolean> {
  const rows = await sql`
    update sessions set cancel_requested = true, updated_at = now()
    where id = ${sessionId} and status not in (${sql.unsafe(TERMINAL)})
    returning pg_notify(${CONTROL_CHANNEL}, json_build_object('s', id::text, 'a', 'cancel')::text)`;
  return rows.length === 1;
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
  await sql`select pg_notify(${DISPATCH_CHANNEL}, ${encodeNotify(DISPATCH_CHANNEL, { s: sessionId, e: epoch })})`;
}

/** A runner that stops without finishing (shutdown) hands the session back for another to claim now. */
export async function releaseLease(
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
): Promise<"ok" | "fenced"> {
  const rows = await sql`
    update sessions set lease_owner = null, runner = null, updated_at = now(),
                        lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    where id = ${sessionId} and epoch = ${epoch} and status not in (${sql.unsafe(TERMINAL)})
    returning pg_notify(${DISPATCH_CHANNEL}, json_build_object('s', id::text, 'e', epoch)::text)`;
  return rows.length === 1 ? "ok" : "fenced";
}
