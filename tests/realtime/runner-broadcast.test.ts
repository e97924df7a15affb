import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { readLogText } from "../../lib/db/session-log.ts";
import { watchSession } from "../../lib/db/session-watches.ts";
import { type Env, parseEnv } from "../../lib/env.ts";
import { runBackgroundSession } from "../../lib/session/background.ts";
import { openSessionStream } from "../../lib/session/session-stream.ts";
import { readSse, textOfDeltas, waitFor as waitUntil } from "../support/api.ts";
import { testRuntime } from "../support/runtime.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import {
  ALICE_ID,
  closeClient,
  type Followed,
  follow,
  newBackgroundSession,
  signedIn,
  waitFor,
} from "./fixture.ts";

let stack: TestStack;
let sql: Sql;
let env: Env;
let alice: SupabaseClient;

beforeAll(async () => {
  stack = await startTestStack({ app: false });
  env = parseEnv({ ...stack.env, CHECKPOINT_MS: "250", LEASE_SECONDS: "10" });
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

/** A session a tab is watching (POST /api/sessions/:id/watch): its runner broadcasts it live. */
async function newWatchedSession(seed: string, message = MESSAGE(seed)): Promise<string> {
  const sessionId = await newSession(seed, message);
  expect(await watchSession(sql, sessionId, ALICE_ID)).toBe(true);
  return sessionId;
}

/** Runs the session to its end in this process, as the local worker does; returns appends and seconds. */
async function produce(sessionId: string): Promise<{ appends: number; seconds: number }> {
  const startedAt = Date.now();
  const outcome = await runBackgroundSession({
    sessionId,
    runner: "worker",
    owner: "test",
    runtime: testRuntime(sql, env),
  });
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

/** Whether the subscriber got the session's final status. */
const ended = (followed: Followed) =>
  followed.received.some((message) => message.event === "status" && message.payload.status === "completed");

/** Alice's supabase-js client subscribed to the session's topic (subscribing alone is not watching). */
async function subscribed(sessionId: string): Promise<Followed> {
  const followed = follow(alice, `session:${sessionId}`);
  expect((await followed.joined).status).toBe("SUBSCRIBED");
  return followed;
}

describe("every runner broadcasts its session over Realtime", () => {
  let baseline: { appends: number; seconds: number };

  test("a subscribed supabase-js client gets the whole text as log messages, then the final status", async () => {
    const seed = "rt-up";
    const sessionId = await newWatchedSession(seed);
    const followed = await subscribed(sessionId);
    baseline = await produce(sessionId);
    await waitFor(() => ended(followed), "the completed status");
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
    const sessionId = await newWatchedSession(seed, `#sim tokens=${TOKENS} rate=300 seed=${seed}`);
    const followed = await subscribed(sessionId);
    await produce(sessionId);
    await waitFor(() => ended(followed), "the completed status");
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
      const sessionId = await newWatchedSession(seed);
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

describe("Realtime follows the watchers, not the sessions (issue 19)", () => {
  test("a session nobody watches sends no log and no progress over Realtime, only its status, and its text is exact", async () => {
    const seed = "rt-unwatched";
    const sessionId = await newSession(seed);
    // Subscribed, but a subscription alone is not watching (the server cannot see it).
    const followed = await subscribed(sessionId);
    await produce(sessionId);
    await waitFor(() => ended(followed), "the completed status");
    const events = new Set(followed.received.map((message) => message.event));
    expect(events).toEqual(new Set(["status"]));
    expect(await readLogText(sql, sessionId)).toBe(simulatedText(seed, TOKENS));
    await alice.removeChannel(followed.channel);
  });

  test("a watcher arriving mid-session gets the exact text: one catch-up read, then log messages from where it ended", async () => {
    const seed = "rt-arrives";
    const sessionId = await newSession(seed, `#sim tokens=${TOKENS} rate=100 seed=${seed}`);
    const followed = await subscribed(sessionId);
    const produced = produce(sessionId);
    // Nobody watches yet while the first output becomes durable.
    await waitUntil(async () => {
      const [row] = await sql`select durable_offset from sessions where id = ${sessionId}`;
      return Number(row?.durable_offset) > 0 ? true : undefined;
    });
    // The tab arrives: its catch-up read (`?follow=0`) counts as a watch, recorded before it reads.
    const stream = await openSessionStream(testRuntime(sql, env), {
      sessionId,
      userId: ALICE_ID,
      cursor: { offset: 0, epoch: null },
      follow: false,
      signal: new AbortController().signal,
    });
    const caughtUp = Buffer.from(textOfDeltas(await readSse(new Response(stream))));
    await produced;
    await waitFor(() => ended(followed), "the completed status");

    const full = simulatedText(seed, TOKENS);
    expect(caughtUp.byteLength).toBeGreaterThan(0);
    expect(caughtUp.byteLength).toBeLessThan(Buffer.byteLength(full));
    const logs = followed.received.filter((message) => message.event === "log").map((m) => m.payload);
    // What became durable before the watch was never broadcast...
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]!.from).toBeGreaterThan(0);
    // ...and from where the catch-up read ended, Realtime carries every byte (duplicates dropped by offset).
    let text = caughtUp;
    for (const log of logs) {
      const { from, to } = log as { from: number; to: number };
      if (to <= text.byteLength) continue;
      expect(from).toBeLessThanOrEqual(text.byteLength);
      const piece = Buffer.from(log.text as string).subarray(text.byteLength - from);
      text = Buffer.concat([text, piece]);
    }
    expect(text.toString("utf8")).toBe(full);
    await alice.removeChannel(followed.channel);
  });
});
