import { afterAll, beforeAll } from "vitest";
import { type AgentSimulator, startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
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
