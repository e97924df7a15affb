import { runInMockTaskContext } from "@trigger.dev/core/v3/test";
import { metadata } from "@trigger.dev/sdk";
import { afterAll, beforeAll, expect, test } from "vitest";
import { z } from "zod";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { type AgentSimulator, startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { readLogText } from "../../lib/db/session-log.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { waitFor } from "../support/api.ts";
import { createTestDatabase } from "../support/database.ts";
import { type LoadedTask, loadTriggerTask } from "../support/trigger-task.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const database = await createTestDatabase();
let simulator: AgentSimulator;
let sql: Sql;
let task: LoadedTask<{ outcome: string; offset: number }>;

beforeAll(async () => {
  simulator = await startAgentSimulator({ port: 0 });
  // The task reads its settings from the environment, as it would on Trigger.dev.
  process.env.DATABASE_URL = database.url;
  Object.assign(process.env, simulatorAgentsEnv(simulator.url));
  sql = createSql(database.url, 2);
  task = await loadTriggerTask<{ outcome: string; offset: number }>(
    "trigger/agent-session.ts",
    "agent-session",
  );
});

afterAll(async () => {
  await sql?.end();
  await simulator?.close();
  await database.drop();
});

async function backgroundSession(message: string, agent: string) {
  const started = await startSession(sql, {
    userId: ALICE,
    message,
    agent,
    mode: "background",
    status: "background",
    runner: null,
    leaseOwner: null,
    title: "task",
    leaseSeconds: 30,
  });
  if (started === "not_found") throw new Error("unexpected");
  return started;
}

test("the agent-session task resumes the session through lib/session and mirrors progress to run metadata", async () => {
  const seed = "task-run";
  const started = await backgroundSession(`#sim tokens=300 rate=0 stages=2 seed=${seed}`, "sim-openai-bg");
  const result = await runInMockTaskContext(
    async ({ ctx }) => {
      const payload = await task.parsePayload({ sessionId: started.sessionId, epoch: started.epoch });
      const output = await task.run(payload, { ctx, signal: new AbortController().signal });
      return { output, progress: metadata.current()?.progress };
    },
    { ctx: { run: { id: "run_offline_1" }, attempt: { number: 1 } } },
  );
  expect(result.output.outcome).toBe("completed");
  expect(await readLogText(sql, started.sessionId)).toBe(simulatedText(seed, 300));
  expect(result.progress).toMatchObject({ stage: expect.stringContaining("tool") });
  const [row] =
    await sql`select status, runner, lease_owner, epoch from sessions where id = ${started.sessionId}`;
  expect(row).toMatchObject({ status: "completed", runner: "trigger", epoch: 2 });
});

test("a schema-invalid payload is refused by the task's zod schema, naming each bad field", async () => {
  const refused = await task.parsePayload({ sessionId: "not-a-uuid", epoch: 0 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(z.ZodError);
  expect((refused as z.ZodError).issues.map((issue) => [issue.path.join("."), issue.code])).toEqual([
    ["sessionId", "invalid_format"],
    ["epoch", "too_small"],
  ]);
});

test("a retried attempt whose epoch was taken over does not produce twice", async () => {
  const started = await backgroundSession("#sim tokens=50 rate=0 seed=retry", "sim-chat");
  await sql`update sessions set epoch = epoch + 1, lease_owner = 'someone', lease_expires_at = now() + interval '1 minute'
            where id = ${started.sessionId}`;
  const output = await runInMockTaskContext(
    async ({ ctx }) =>
      task.run(await task.parsePayload({ sessionId: started.sessionId, epoch: started.epoch }), {
        ctx,
        signal: new AbortController().signal,
      }),
    { ctx: { run: { id: "run_offline_2" }, attempt: { number: 2 } } },
  );
  expect(output.outcome).toBe("not_claimed");
  expect(await readLogText(sql, started.sessionId)).toBe("");
});

test("cancelling the run (its signal) ends the session cancelled with the partial output kept", async () => {
  const started = await backgroundSession("#sim tokens=2000 rate=200 seed=task-cancel", "sim-openai-bg");
  const controller = new AbortController();
  const running = runInMockTaskContext(
    async ({ ctx }) =>
      task.run(await task.parsePayload({ sessionId: started.sessionId, epoch: started.epoch }), {
        ctx,
        signal: controller.signal,
      }),
    { ctx: { run: { id: "run_offline_3" } } },
  );
  // Cancel once part of the output is durable (mid-stream), not after a guessed delay.
  await waitFor(
    async () => ((await readLogText(sql, started.sessionId)).length > 0 ? true : undefined),
    30_000,
    20,
  );
  controller.abort();
  const output = await running;
  expect(output.outcome).toBe("cancelled");
  const text = await readLogText(sql, started.sessionId);
  const full = simulatedText("task-cancel", 2000);
  expect(text.length).toBeGreaterThan(0);
  expect(text.length).toBeLessThan(full.length);
  expect(full.startsWith(text)).toBe(true);
});
