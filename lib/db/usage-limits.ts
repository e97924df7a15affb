import type { Sql } from "./client.ts";

export interface UsageCounts {
  /** Live sessions of the user that a runner is producing now. */
  liveSessions: number;
  /** Chat requests (sessions started) in the last 60 s. */
  recentRequests: number;
  /** Seconds until the oldest of those leaves the 60 s window. */
  windowResetSeconds: number;
}

/** What the per-user limits of POST /api/chat are checked against (one round trip). */
export async function readUsageCounts(sql: Sql, userId: string): Promise<UsageCounts> {
  const [row] = await sql<{ live: number; recent: number; reset: number | null }[]>`
    select
      count(*) filter (where status = 'live' and lease_expires_at > now())::int as live,
      count(*) filter (where created_at > now() - interval '60 seconds')::int as recent,
      extract(epoch from (min(created_at) filter (where created_at > now() - interval '60 seconds')
                          + interval '60 seconds' - now()))::float8 as reset
    from sessions where user_id = ${userId}
      and (status = 'live' or created_at > now() - interval '60 seconds')`;
  return {
    liveSessions: row?.live ?? 0,
    recentRequests: row?.recent ?? 0,
    windowResetSeconds: Math.max(1, Math.ceil(row?.reset ?? 1)),
  };
}

/**
 * How long this agent's recent sessions took (seconds, newest first), for routing connection-bound
 * agents that tend to outlive the live budget straight to the background.
 */
export async function recentSessionDurations(sql: Sql, agent: string, limit = 20): Promise<number[]> {
  const rows = await sql<{ seconds: number }[]>`
    select extract(epoch from finished_at - started_at)::float8 as seconds
    from sessions
    where agent = ${agent} and status = 'completed' and started_at is not null and finished_at is not null
    order by finished_at desc
    limit ${limit}`;
  return rows.map((row) => row.seconds);
}
