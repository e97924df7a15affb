import type { Sql } from "./client.ts";

/** How long one watch lasts; a visible tab repeats it every 30 s (issue 19). */
export const WATCH_SECONDS = 60;

/**
 * Records that the owner is looking at the session for the next WATCH_SECONDS (`watched_until`;
 * never shortened). False when the session does not exist or is someone else's. Leaves
 * `updated_at` alone: a watch is not a change of the session.
 */
export async function watchSession(sql: Sql, sessionId: string, userId: string): Promise<boolean> {
  const rows = await sql`
    update sessions
    set watched_until = greatest(watched_until, now() + make_interval(secs => ${WATCH_SECONDS}))
    where id = ${sessionId} and user_id = ${userId}
    returning id`;
  return rows.length === 1;
}

/**
 * `watchSession` for readers already authorised (held tails, GET …/stream following): no owner
 * check, one statement for all of a process's tails.
 */
export async function renewSessionWatches(sql: Sql, sessionIds: string[]): Promise<void> {
  await sql`
    update sessions
    set watched_until = greatest(watched_until, now() + make_interval(secs => ${WATCH_SECONDS}))
    where id = any(${sql.array(sessionIds)}::uuid[])`;
}

/** Records that the user is looking at her sessions list (`user:<id>`) for the next WATCH_SECONDS. */
export async function watchSessionList(sql: Sql, userId: string): Promise<void> {
  await sql`
    insert into session_list_watches (user_id, watched_until)
    values (${userId}, now() + make_interval(secs => ${WATCH_SECONDS}))
    on conflict (user_id) do update
    set watched_until = greatest(session_list_watches.watched_until, excluded.watched_until)`;
}
