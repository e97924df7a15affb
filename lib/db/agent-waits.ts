import { AWAITING_RUNNER_STATUSES, statusList } from "../lifecycle.ts";
import type { Sql } from "./client.ts";

const AWAITING_RUNNER = statusList(AWAITING_RUNNER_STATUSES);

/**
 * Waiting for a runner that knows its agent: nobody holds the session and its agent is not among
 * `knownAgents` (this process's `AGENTS`), so no runner configured like this one will claim it.
 */
function waitingForUnknownAgent(sql: Sql, knownAgents: readonly string[]) {
  return sql`
    status in (${sql.unsafe(AWAITING_RUNNER)}) and lease_owner is null
    and not (${sql.json([...knownAgents])}::jsonb ? agent)`;
}

/** Per agent this process does not know, how many sessions wait for a runner that does (for /api/health). */
export async function countSessionsWaitingForAgent(
  sql: Sql,
  knownAgents: readonly string[],
): Promise<{ agent: string; sessions: number }[]> {
  return sql<{ agent: string; sessions: number }[]>`
    select agent, count(*)::int as sessions from sessions
    where ${waitingForUnknownAgent(sql, knownAgents)}
    group by agent order by agent`;
}

/**
 * Sessions that waited longer than `afterSeconds` for a runner knowing their agent. The wait is
 * measured from `updated_at`: a reconciler that knows the agent re-dispatches such a session (which
 * touches it), one that does not leaves it alone (`findExpiredLeases` skips it), so the clock only
 * runs while no process configured with the agent looks after it.
 */
export async function findSessionsAbandonedForAgent(
  sql: Sql,
  knownAgents: readonly string[],
  afterSeconds: number,
  limit = 50,
): Promise<{ id: string; agent: string }[]> {
  return sql<{ id: string; agent: string }[]>`
    select id, agent from sessions
    where ${waitingForUnknownAgent(sql, knownAgents)}
      and updated_at < now() - make_interval(secs => ${afterSeconds})
    order by updated_at
    limit ${limit}`;
}
