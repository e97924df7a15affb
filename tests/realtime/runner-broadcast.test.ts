import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { readLogText } from "../../lib/db/session-log.ts";
import { type Env, getEnv } from "../../lib/env.ts";
import { runAsWorker } from "../support/runtime.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import { closeClient, type Followed, follow, newBackgroundSession, signedIn, waitFor } from "./fixture.ts";

let stack: TestStack;
let sql: Sql;
let env: Env;
let alice: SupabaseClient;

beforeAll(async () => {
  stack = await startTestStack({ app: false });
  env = getEnv({ ...stack.env, CHECKPOINT_MS: "250", LEASE_SECONDS: "10" });
  // The runner in this process broadcasts with the process-wide settings.
  Object.assign(process.env, stack.env);
  sql = createSql(stack.databaseUrl, 4);
  alice = await signedIn(stack.supabaseUrl, "alice@example.com");
});
afterAll(async () => {
  await closeClient(alice).catch(() => {});
  await sql?.end();
  await stack?.close();
});

const TOKENS = 600;
const MESSAGE = (seed: string) => `#sim tokens=${TOKENS} rate=300 seed=${seed} stages=2`;

const newSession = (seed: string, message = MESSAGE(seed)) => newBackgroundSession(sql, message, seed);

/** Runs the session to its end in this process, as the local worker does; returns appends and seconds. */
async function produce(sessionId: string): Promise<{ appends: number; seconds: number }> {
  const startedAt = Date.now();
  const outcome = await runAsWorker(sql, env, sessionId);
  expect(outcome.kind).toBe("completed");
  const [row] = await sql<{ appends: number }[]>`
    select count(*)::int as appends from session_chunks where session_id = ${sessionId}`;
  return { appends: row!.appends, seconds: (Date.now() - startedAt) / 1000 };
}

/** The text the `log` messages carry, joined by offset (duplicates dropped, gaps fail). */
function textOfLogs(followed: Followed): string {
  let text = "";
  let offset = 0;
  for (const { event, payload } of followed.received) {
    if (event !== "log") continue;
    if ((payload.to as number) <= offset) continue;
    expect(payload.from).toBe(offset);
    text += payload.text as string;
    offset = payload.to as number;
  }
  return text;
}

describe("every runner broadcasts its session over Realtime", () => {
  let baseline: { appends: number; seconds: number };

  test("a subscribed supabase-js client gets the whole text as log messages, then the final status", async () => {
    const seed = "rt-up";
    const sessionId = await newSession(seed);
    const followed = follow(alice, `session:${sessionId}`);
    expect((await followed.joined).status).toBe("SUBSCRIBED");
    baseline = await produce(sessionId);
    await waitFor(
      () =>
        followed.received.some(
          (message) => message.event === "status" && message.payload.status === "completed",
        ),
      "the completed status",
    );
    expect(textOfLogs(followed)).toBe(simulatedText(seed, TOKENS));
    expect(followed.received.some((message) => message.event === "progress")).toBe(true);
    expect(followed.received.at(-1)).toMatchObject({
      event: "status",
      payload: { status: "completed", runner: "worker", seams: [] },
    });
    await alice.removeChannel(followed.channel);
  });

  test("progress goes out in the one wire shape: an agent that names no stage gives stage null, as over SSE", async () => {
    const seed = "rt-progress";
    const sessionId = await newSession(seed, `#sim tokens=${TOKENS} rate=300 seed=${seed}`);
    const followed = follow(alice, `session:${sessionId}`);
    expect((await followed.joined).status).toBe("SUBSCRIBED");
    await produce(sessionId);
    await waitFor(
      () =>
        followed.received.some(
          (message) => message.event === "status" && message.payload.status === "completed",
        ),
      "the completed status",
    );
    const stages = followed.received
      .filter((message) => message.event === "progress")
      .map((m) => m.payload.stage);
    expect(stages.length).toBeGreaterThan(0);
    expect(new Set(stages)).toEqual(new Set([null]));
    await alice.removeChannel(followed.channel);
  });

  test("with the Realtime endpoint down for the whole run the session completes, nothing is lost, checkpoints keep their rate", async () => {
    stack.realtime.stop();
    try {
      const seed = "rt-down";
      const sessionId = await newSession(seed);
      const down = await produce(sessionId);
      expect(await readLogText(sql, sessionId)).toBe(simulatedText(seed, TOKENS));
      const [row] = await sql`select status from sessions where id = ${sessionId}`;
      expect(row?.status).toBe("completed");
      // Same work, same checkpoint cadence: at most one append per CHECKPOINT_MS, and not fewer than
      // with Realtime up (a runner slowed by broadcasting would write fewer, larger appends).
      expect(down.appends).toBeLessThanOrEqual(Math.ceil((down.seconds * 1000) / 250) + 2);
      expect(down.appends).toBeGreaterThanOrEqual(Math.floor(baseline.appends * 0.6));
    } finally {
      stack.realtime.start();
    }
  });
});
