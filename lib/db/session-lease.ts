import type { Sql } from "./client.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";
import { type RunnerKind, type SessionRow, toSessionRow } from "./sessions.ts";

/** NOTIFY channel that wakes local workers when a session needs a background runner. */
export const DISPATCH_CHANNEL = "session_dispatch";
/** NOTIFY channel that tells whichever process runs a session to stop it. */
export const CONTROL_CHANNEL = "session_control";

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
  // Unowned with a pending lease: a worker may claim it now; if the dispatch is lost, the lease
  // expires and the reconciler dispatches again.
  const [row] = await sql<{ epoch: number }[]>`
    update sessions
    set epoch = epoch + 1, status = 'background', runner = null, lease_owner = null,
        lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), updated_at = now()
    where id = ${sessionId} and epoch = ${epoch} and status in ('live', 'interrupted')
    returning epoch, pg_notify(${SESSION_LOG_CHANNEL},
      json_build_object('s', id::text, 'o', durable_offset, 'st', 'background')::text)`;
  return row?.epoch ?? null;
}

export interface ClaimOptions {
  runner: RunnerKind;
  owner: string;
  leaseSeconds: number;
  /** Claim only if the epoch is still this one (the dispatch's), or the lease has expired. */
  expectedEpoch?: number;
}

/**
 * Takes a session's lease as its new producer (epoch + 1). A session whose output must continue after
 * a seam (a connection-bound agent that stopped mid-answer) gets the seam offset recorded here.
 */
export async function claimSession(
  sql: Sql,
  sessionId: string,
  options: ClaimOptions & { detachable: boolean },
): Promise<SessionRow | null> {
  const [row] = await sql`
    update sessions
    set epoch = epoch + 1, status = 'background', runner = ${options.runner}, lease_owner = ${options.owner},
        lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds}),
        seam_offsets = case when ${!options.detachable} and durable_offset > 0
                             and not (durable_offset = any(seam_offsets))
                            then array_append(seam_offsets, durable_offset) else seam_offsets end,
        updated_at = now()
    where id = ${sessionId}
      and status in ('queued', 'live', 'background', 'interrupted')
      and not cancel_requested
      and (${options.expectedEpoch ?? null}::int = epoch
           or lease_owner is null and status in ('queued', 'background', 'interrupted')
           or lease_expires_at < now())
    returning *`;
  return row ? toSessionRow(row as never) : null;
}

/**
 * The next session waiting for a background runner, or whose producer's lease expired (a crashed
 * runner, a killed route): locked with SKIP LOCKED so concurrent workers never pick the same one.
 */
export async function findClaimableSessionId(sql: Sql): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`
    select id from sessions
    where status in ('queued', 'live', 'background', 'interrupted')
      and not cancel_requested
      and (lease_owner is null and status in ('queued', 'background', 'interrupted')
           or lease_expires_at < now())
    order by updated_at
    limit 1
    for update skip locked`;
  return row?.id ?? null;
}

/** Sessions whose producer's lease expired while not finished (for the scheduled reconciler). */
export async function findExpiredLeases(
  sql: Sql,
  limit = 50,
): Promise<{ id: string; epoch: number; userId: string }[]> {
  const rows = await sql<{ id: string; epoch: number; user_id: string }[]>`
    select id, epoch, user_id from sessions
    where status in ('queued', 'live', 'background', 'interrupted')
      and lease_expires_at < now()
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
      and status in ('queued', 'live', 'background', 'interrupted')
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
    where id = ${sessionId} and status not in ('completed', 'failed', 'cancelled')
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
    where id = ${sessionId} and status not in ('completed', 'failed', 'cancelled')
    returning epoch`;
  return row?.epoch ?? null;
}

/** Wakes local workers. */
export async function notifyDispatch(sql: Sql, sessionId: string, epoch: number): Promise<void> {
  await sql`select pg_notify(${DISPATCH_CHANNEL}, ${JSON.stringify({ s: sessionId, e: epoch })})`;
}

/** A runner that stops without finishing (shutdown) hands the session back for another to claim now. */
export async function releaseLease(
  sql: Sql,
  sessionId: string,
  epoch: number,
  leaseSeconds: number,
): Promise<void> {
  await sql`
    update sessions set lease_owner = null, runner = null, updated_at = now(),
                        lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    where id = ${sessionId} and epoch = ${epoch} and status not in ('completed', 'failed', 'cancelled')
    returning pg_notify(${DISPATCH_CHANNEL}, json_build_object('s', id::text, 'e', epoch)::text)`;
}
