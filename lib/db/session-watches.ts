import type { Sql } from "./client.ts";

/** How long one watch lasts; a visible tab repeats it every 30 s (issue 19). */
export const WATCH_SECONDS = 60;

/**
 * Records that someone is looking at these sessions for the next WATCH_SECONDS (`watched_until`;
 * never shortened), in one statement: with `ownerId`, only the sessions that are hers (a watch
 * POST); without, for readers already authorised (held tails: all of a process's in one go). Leaves
 * `updated_at` alone: a watch is not a change of the session. Returns how many sessions it watched.
 */
export async function watchSessions(sql: Sql, sessionIds: string[], ownerId?: string): Promise<number> {
  const result = await sql`
    update sessions
    set watched_until = greatest(watched_until, now() + make_interval(secs => ${WATCH_SECONDS}))
    where id = any(${sql.array(sessionIds)}::uuid[])
      and (${ownerId ?? null}::uuid is null or user_id = ${ownerId ?? null}::uuid)`;
  return result.count;
}

/** `watchSessions` of one session for its owner: false when it does not exist or is someone else's. */
export async function watchSession(sql: Sql, sessionId: string, userId: string): Promise<boolean> {
  return (await watchSessions(sql, [sessionId], userId)) === 1;
}

/** Records that the user is looking at her sessions list (`user:<id>`) for the next WATCH_SECONDS. */
export async function watchSessionList(sql: Sql, userId: string): Promise<void> {
  await sql`
    insert into session_list_watches (user_id, watched_until)
    values (${userId}, now() + make_interval(secs => ${WATCH_SECONDS}))
    on conflict (user_id) do update
    set watched_until = greatest(session_list_watches.watched_until, excluded.watched_until)`;
}
