import type { Sql } from "./client.ts";

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
