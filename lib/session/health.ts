import { countSessionsWaitingForAgent } from "../db/agent-waits.ts";
import type { Sql } from "../db/client.ts";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import { logError } from "../log.ts";

/** How long `GET /api/health` waits for the database before answering 503. */
export const HEALTH_DATABASE_DEADLINE_MS = 1500;

export interface HealthReport {
  ok: true;
  /** Sessions waiting for a runner that knows their agent, per agent this process does not know. */
  waitingForAgent: { agent: string; sessions: number }[];
}

/**
 * The health answer: a database round trip that also counts sessions no runner configured like this
 * process can take. A database that errs or does not answer within the deadline (down, paused,
 * unreachable: connect_timeout alone would hold the request 10 s) is `service_unavailable:database`.
 */
export async function healthReport(
  sql: Sql,
  env: Env,
  deadlineMs = HEALTH_DATABASE_DEADLINE_MS,
): Promise<HealthReport> {
  const query = countSessionsWaitingForAgent(
    sql,
    env.AGENTS.map((agent) => agent.name),
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), deadlineMs);
  });
  try {
    const waitingForAgent = await Promise.race([query, deadline]);
    if (waitingForAgent === "timeout") {
      // The query finishes (or fails) when the database comes back; nobody awaits it any more.
      query.catch((error) => logError("health query failed after its deadline", { error }));
      throw new AppError(
        "service_unavailable:database",
        `The database did not answer within ${deadlineMs} ms.`,
      );
    }
    return { ok: true, waitingForAgent };
  } catch (error) {
    if (error instanceof AppError) throw error;
    logError("health query failed", { error });
    throw new AppError("service_unavailable:database", "The database is not reachable.", { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
