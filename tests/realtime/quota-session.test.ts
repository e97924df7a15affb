import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { readLogText } from "../../lib/db/session-log.ts";
import { watchSession } from "../../lib/db/session-watches.ts";
import { type Env, LOCAL_SUPABASE_SECRET_KEY, parseEnv } from "../../lib/env.ts";
import { runBackgroundSession } from "../../lib/session/background.ts";
import { testRuntime } from "../support/runtime.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import {
  ALICE_ID,
  closeClient,
  follow,
  newBackgroundSession,
  realtimeClient,
  signedIn,
  waitFor,
} from "./fixture.ts";

let stack: TestStack;
let sql: Sql;
let env: Env;
const clients: SupabaseClient[] = [];
const savedQuota = process.env.REALTIME_MESSAGES_PER_SECOND;

beforeAll(async () => {
  // The stand-in reads its quota from the environment, as `npm run dev` starts it.
  process.env.REALTIME_MESSAGES_PER_SECOND = "5";
  stack = await startTestStack({ app: false });
  env = parseEnv({ ...stack.env, CHECKPOINT_MS: "100", LEASE_SECONDS: "10" });
  // The runner in this process broadcasts with the process-wide settings.
  Object.assign(process.env, stack.env);
  sql = createSql(stack.databaseUrl, 4);
});
afterAll(async () => {
  for (const client of clients) await closeClient(client).catch(() => {});
  await sql?.end();
  await stack?.close();
  if (savedQuota === undefined) delete process.env.REALTIME_MESSAGES_PER_SECOND;
  else process.env.REALTIME_MESSAGES_PER_SECOND = savedQuota;
});

test("a session completes with its exact text while the project is over its Realtime message quota", async () => {
  const seed = "over-quota";
  const sessionId = await newBackgroundSession(sql, `#sim tokens=800 rate=400 seed=${seed} stages=2`, seed);
  // Watched, so its runner broadcasts everything it may (an unwatched one sends only its status).
  await watchSession(sql, sessionId, ALICE_ID);
  const alice = await signedIn(stack.supabaseUrl, "alice@example.com");
  clients.push(alice);
  const watcher = follow(alice, `session:${sessionId}`);
  expect((await watcher.joined).status).toBe("SUBSCRIBED");

  // Another part of the project floods Realtime: 300 messages, a minute's average of 5 a second.
  const flooder = realtimeClient(stack.supabaseUrl, LOCAL_SUPABASE_SECRET_KEY);
  clients.push(flooder);
  const noise = flooder.channel("room:noise", { config: { private: false } });
  for (let burst = 0; burst < 6; burst++)
    await Promise.allSettled(Array.from({ length: 50 }, (_, i) => noise.httpSend("noise", { i })));
  await waitFor(() => stack.realtime.overMessageQuota, "the project to go over its quota", 15_000);
  await waitFor(() => watcher.statuses.includes("CLOSED"), "the watcher's channel to close");
  const logged = stack.realtimeLog.length;

  const outcome = await runBackgroundSession({
    sessionId,
    runner: "worker",
    owner: "test",
    runtime: testRuntime(sql, env),
  });

  expect(outcome.kind).toBe("completed");
  expect(await readLogText(sql, sessionId)).toBe(simulatedText(seed, 800));
  const [row] = await sql`select status from sessions where id = ${sessionId}`;
  expect(row?.status).toBe("completed");
  // The quota was exceeded for the whole run: it never came back under in between.
  expect(stack.realtime.overMessageQuota).toBe(true);
  expect(stack.realtimeLog.slice(logged).some((line) => line.includes("back under the quota"))).toBe(false);
  await expect(noise.httpSend("noise", { after: true })).rejects.toThrow("You have exceeded your rate limit");
});
