import type postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { createSql } from "../../lib/db/client.ts";
import { parseEnv } from "../../lib/env.ts";
import { recoverExpiredSessions } from "../../lib/session/reconcile.ts";
import { api, readSse, signIn, textOfDeltas } from "../support/api.ts";
import { testRuntime } from "../support/runtime.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let sql: postgres.Sql;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startTestStack();
  sql = createSql(stack.databaseUrl, 2);
  alice = api(stack.appUrl, await signIn(stack.supabaseUrl, "alice@example.com"));
  bob = api(stack.appUrl, await signIn(stack.supabaseUrl, "bob@example.com"));
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

async function finishedChat(seed: string): Promise<string> {
  const events = await readSse(await alice.chat({ message: `#sim tokens=60 rate=0 seed=${seed}` }));
  expect(events.at(-1)?.event).toBe("done");
  return JSON.parse(events[0]!.data).sessionId as string;
}

test("past SESSION_RETENTION_DAYS the reconciler deletes a finished log; its replay and snapshot answer 410 gone:session_log", async () => {
  const expired = await finishedChat("retention-old");
  const kept = await finishedChat("retention-new");
  // Before the sweep the replay is whole.
  expect(textOfDeltas(await readSse(await alice.stream(expired, "?follow=0")))).toBe(
    simulatedText("retention-old", 60),
  );
  await sql`update sessions set finished_at = now() - interval '8 days' where id = ${expired}`;
  await sql`update sessions set finished_at = now() - interval '6 days' where id = ${kept}`;

  const env = parseEnv({ ...stack.env, SESSION_RETENTION_DAYS: "7" });
  await recoverExpiredSessions(testRuntime(sql, env));

  for (const response of [
    await alice.stream(expired),
    await alice.stream(expired, "?follow=0&offset=10"),
    await alice.snapshot(expired),
  ]) {
    expect(response.status).toBe(410);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ code: "gone:session_log" });
  }
  // Someone else's expired session is still just not found.
  expect((await bob.stream(expired)).status).toBe(404);
  // A log inside the retention is untouched.
  expect(textOfDeltas(await readSse(await alice.stream(kept, "?follow=0")))).toBe(
    simulatedText("retention-new", 60),
  );
  expect((await (await alice.snapshot(kept)).json()).output).toBe(simulatedText("retention-new", 60));
});
