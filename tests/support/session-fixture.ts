import { afterAll, beforeAll } from "vitest";
import { type AgentSimulator, startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { type StartedSession, type StartSessionInput, startSession } from "../../lib/db/session-start.ts";
import { createTestDatabase } from "./database.ts";

export const ALICE = "a11ce000-0000-4000-8000-000000000001";

/**
 * A test file's own database (cloned from the migrated template) and agent simulator, released
 * after the file. Call at the top level of the file.
 */
export async function sessionFixture(): Promise<{ databaseUrl: string; sql: Sql; simulatorUrl(): string }> {
  const database = await createTestDatabase();
  const sql = createSql(database.url, 4);
  let simulator: AgentSimulator | undefined;
  beforeAll(async () => {
    simulator = await startAgentSimulator({ port: 0 });
  });
  afterAll(async () => {
    await simulator?.close();
    await sql.end();
    await database.drop();
  });
  return {
    databaseUrl: database.url,
    sql,
    simulatorUrl: () => {
      if (!simulator) throw new Error("the simulator starts in beforeAll");
      return simulator.url;
    },
  };
}

/** A live session produced by the test itself (the lease is the test's, as a chat route's would be). */
export const LIVE_RUN = { mode: "live", status: "live", runner: "live", leaseOwner: "test" } as const;
/** A background session a worker (the test, as owner `test`) already runs. */
export const WORKER_RUN = {
  mode: "background",
  status: "background",
  runner: "worker",
  leaseOwner: "test",
} as const;
/** A background session waiting for a runner to claim it. */
export const AWAITING_RUNNER = {
  mode: "background",
  status: "background",
  runner: null,
  leaseOwner: null,
} as const;

/**
 * Starts a session through the real `startSession`: Alice's, on `sim-chat`, asking `title`, run live by
 * the test with a 30 s lease unless `input` says otherwise. Throws where the start is refused.
 */
export async function startTestSession(
  sql: Sql,
  input: Partial<StartSessionInput> & { title: string },
): Promise<StartedSession> {
  const started = await startSession(sql, {
    userId: ALICE,
    message: input.title,
    agent: "sim-chat",
    ...LIVE_RUN,
    leaseSeconds: 30,
    ...input,
  });
  if (started === "not_found")
    throw new Error(`session "${input.title}" was not started: no such conversation`);
  return started;
}
