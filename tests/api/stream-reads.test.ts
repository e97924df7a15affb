import { EventSourceParserStream } from "eventsource-parser/stream";
import type postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createSql } from "../../lib/db/client.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import { REPLAY_RUN_BYTES } from "../../lib/session/read-log.ts";
import { api, readSse, signIn, textOfDeltas } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const READERS = 60;
const WINDOW_MS = 20_000;

let stack: TestStack;
let sql: postgres.Sql;
let token: string;

beforeAll(async () => {
  stack = await startTestStack();
  sql = createSql(stack.databaseUrl, 2);
  token = await signIn(stack.supabaseUrl, "alice@example.com");
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

/** A running background session whose producer is silent (a long tool call): its readers are idle. */
async function idleSession(): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [session] = await sql`
    insert into sessions (user_id, conversation_id, agent, status, runner, epoch, lease_owner, lease_expires_at)
    values (${ALICE}, ${conversation!.id}, 'sim-chat', 'background', 'worker', 2, 'silent', now() + interval '1 hour')
    returning id`;
  return session!.id as string;
}

/** Opens a stream reader and waits for its `session` event; then collects events until aborted. */
async function openReader(sessionId: string, signal: AbortSignal) {
  const response = await api(stack.appUrl, token).stream(sessionId, "?offset=0", { signal });
  const reader = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  const events: string[] = [];
  const first = await reader.read();
  events.push(first.value?.event ?? "");
  const rest = (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      events.push(value.event ?? "");
    }
  })().catch(() => undefined);
  return { events, rest };
}

async function transactions(): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select (xact_commit + xact_rollback)::int8 as count from pg_stat_database where datname = current_database()`;
  return Number(row!.count);
}

test(`${READERS} idle stream readers cost the database no per-reader queries; a change still reaches every one`, async () => {
  const sessionId = await idleSession();
  const abort = new AbortController();
  try {
    const readers = await Promise.all(
      Array.from({ length: READERS }, () => openReader(sessionId, abort.signal)),
    );
    expect(readers.every((reader) => reader.events[0] === "session")).toBe(true);
    // Counters reach pg_stat_database with a delay: let the start-up settle, then count a long window.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const before = await transactions();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const during = (await transactions()) - before;
    console.log(`${READERS} idle readers: ${during} transactions in ${WINDOW_MS / 1000} s`);
    // A re-read per reader every few seconds would be hundreds; one safety check per process is a handful.
    expect(during).toBeLessThan(READERS / 2);

    // A durable append (NOTIFY on the process's one LISTEN connection) reaches every reader.
    await appendCheckpoint(sql, {
      sessionId,
      epoch: 2,
      startOffset: 0,
      text: "still here",
      leaseSeconds: 3600,
    });
    await expect
      .poll(() => readers.every((reader) => reader.events.includes("delta")), { timeout: 10_000 })
      .toBe(true);
    // A change that sends no notification is caught by the per-process safety check.
    await sql`update sessions set status = 'completed', usage = '{"inputTokens":1,"outputTokens":2}', cost_usd = 0,
              finished_at = now(), updated_at = now() where id = ${sessionId}`;
    await expect
      .poll(() => readers.every((reader) => reader.events.includes("done")), { timeout: 15_000 })
      .toBe(true);
  } finally {
    abort.abort();
  }
});

test("a replay joins consecutive small log rows into few delta events, on character boundaries", async () => {
  const sessionId = await idleSession();
  const piece = "résumé 🚀 offsets ";
  let text = "";
  let offset = 0;
  // 3,000 writes of one small row each: a slow agent's log.
  for (let i = 0; i < 3000; i++) {
    const row = `${i}:${piece}`;
    await appendCheckpoint(sql, { sessionId, epoch: 2, startOffset: offset, text: row, leaseSeconds: 3600 });
    offset += Buffer.byteLength(row);
    text += row;
  }
  await sql`update sessions set status = 'completed', finished_at = now() where id = ${sessionId}`;
  const replay = await readSse(await api(stack.appUrl, token).stream(sessionId, "?offset=0"));
  const deltas = replay.filter((event) => event.event === "delta");
  expect(textOfDeltas(replay)).toBe(text);
  expect(replay.at(-1)?.event).toBe("done");
  // One event per run of about REPLAY_RUN_BYTES, not one per row.
  expect(deltas.length).toBeLessThanOrEqual(Math.ceil(offset / REPLAY_RUN_BYTES) + 2);
  for (const delta of deltas) expect(Buffer.byteLength(delta.data)).toBeLessThan(REPLAY_RUN_BYTES + 9000);

  // From inside the log (on a character boundary inside a row), the same bytes from there.
  const characters = [...text];
  const middle = Buffer.byteLength(characters.slice(0, Math.floor(characters.length / 2) + 3).join(""));
  const tail = await readSse(await api(stack.appUrl, token).stream(sessionId, `?offset=${middle}`));
  expect(textOfDeltas(tail, middle)).toBe(Buffer.from(text).subarray(middle).toString());
});
