import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { finishSession } from "../../lib/db/session-finish.ts";
import { handOffToBackground } from "../../lib/db/session-lease.ts";
import { appendCheckpoint, readLogText, writeCheckpoint } from "../../lib/db/session-log.ts";
import { watchSession, watchSessionList } from "../../lib/db/session-watches.ts";
import { waitFor } from "../support/api.ts";
import { withTestDatabase } from "../support/database.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const { sql } = await withTestDatabase(4);

async function newSession(): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [session] = await sql`
    insert into sessions (user_id, conversation_id, agent, status, lease_owner, lease_expires_at)
    values (${ALICE}, ${conversation!.id}, 'sim-openclaw', 'live', 'test', now() + interval '1 minute') returning id`;
  return session!.id as string;
}

const write = (sessionId: string, epoch: number, startOffset: number, text: string) =>
  appendCheckpoint(sql, { sessionId, epoch, startOffset, text, leaseSeconds: 30 });

describe("the session log", () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = await newSession();
  });

  test("appends are contiguous and advance the durable offset, across any number of digits", async () => {
    let offset = 0;
    let expected = "";
    for (let i = 0; i < 40; i++) {
      const text = `chunk ${i} — ünïcødé 🚀 ${"x".repeat(i * 7)}`;
      expect(await write(sessionId, 1, offset, text)).toBe("ok");
      offset += Buffer.byteLength(text);
      expected += text;
    }
    expect(await readLogText(sql, sessionId)).toBe(expected);
    const [row] = await sql`select durable_offset from sessions where id = ${sessionId}`;
    expect(row!.durable_offset).toBe(offset);
  });

  test("a checkpoint write answers who watches the session and its owner's list (a watch of another user's session records nothing)", async () => {
    const id = await newSession();
    const checkpoint = (startOffset: number, text: string) =>
      writeCheckpoint(sql, { sessionId: id, epoch: 1, startOffset, text, leaseSeconds: 30 });
    await sql`delete from session_list_watches where user_id = ${ALICE}`;
    expect(await checkpoint(0, "a")).toEqual({ outcome: "ok", watchers: { sessionMs: 0, listMs: 0 } });
    expect(await watchSession(sql, id, "b0b00000-0000-4000-8000-000000000002")).toBe(false);
    expect(await checkpoint(1, "b")).toEqual({ outcome: "ok", watchers: { sessionMs: 0, listMs: 0 } });
    expect(await watchSession(sql, id, ALICE)).toBe(true);
    await watchSessionList(sql, ALICE);
    const answer = await checkpoint(2, "c");
    if (typeof answer === "string") throw new Error(`expected watchers, got ${answer}`);
    expect(answer.watchers.sessionMs).toBeGreaterThan(0);
    expect(answer.watchers.sessionMs).toBeLessThanOrEqual(60_000);
    expect(answer.watchers.listMs).toBeGreaterThan(0);
    expect(answer.watchers.listMs).toBeLessThanOrEqual(60_000);
    expect(await readLogText(sql, id)).toBe("abc");
  });

  test("a retried write whose reply was lost is recognised as a duplicate, not appended twice", async () => {
    const id = await newSession();
    expect(await write(id, 1, 0, "hello")).toBe("ok");
    expect(await write(id, 1, 0, "hello")).toBe("duplicate");
    expect(await readLogText(sql, id)).toBe("hello");
  });

  test("a write from a stale epoch is refused and changes nothing", async () => {
    const id = await newSession();
    expect(await write(id, 1, 0, "live ")).toBe("ok");
    const epoch = await handOffToBackground(sql, id, 1, 30);
    expect(epoch).toBe(2);
    expect(await write(id, 1, 5, "zombie")).toBe("fenced");
    expect(await write(id, 2, 5, "background")).toBe("ok");
    expect(await readLogText(sql, id)).toBe("live background");
    const epochs = await sql`select epoch from session_chunks where session_id = ${id} order by start_offset`;
    expect(epochs.map((row) => row.epoch)).toEqual([1, 2]);
  });

  test("a stale epoch cannot complete the session", async () => {
    const id = await newSession();
    await write(id, 1, 0, "text");
    await handOffToBackground(sql, id, 1, 30);
    const stale = await finishSession(sql, {
      sessionId: id,
      epoch: 1,
      status: "completed",
      run: { run: 1, usage: { inputTokens: 1, outputTokens: 1, estimated: false }, costUsd: 0.5 },
      error: null,
    });
    expect(stale).toBe("fenced");
    const [row] = await sql`select status from sessions where id = ${id}`;
    expect(row!.status).toBe("background");
    expect(await sql`select 1 from credit_ledger where session_id = ${id}`).toHaveLength(0);
  });

  test("a background session that ends enqueues one notification per enabled channel, once", async () => {
    const id = await newSession();
    await sql`update sessions set runner = 'worker' where id = ${id}`;
    await write(id, 1, 0, "done in the background");
    await sql`insert into telegram_links (user_id, chat_id) values (${ALICE}, 777) on conflict do nothing`;
    const finish = () =>
      finishSession(sql, { sessionId: id, epoch: 1, status: "completed", run: null, error: null });
    await finish();
    await finish();
    const rows =
      await sql`select channel, kind, status from notifications where session_id = ${id} order by channel`;
    expect(rows.map((row) => [row.channel, row.kind, row.status])).toEqual([
      ["email", "completed", "pending"],
      ["telegram", "completed", "pending"],
    ]);
  });

  test("a stale runner cannot send a notification", async () => {
    const id = await newSession();
    await sql`update sessions set runner = 'worker' where id = ${id}`;
    await handOffToBackground(sql, id, 1, 30);
    await finishSession(sql, { sessionId: id, epoch: 1, status: "completed", run: null, error: null });
    expect(await sql`select 1 from notifications where session_id = ${id}`).toHaveLength(0);
  });

  test("a live session that ends notifies nobody (the user watched it)", async () => {
    const id = await newSession();
    await write(id, 1, 0, "live");
    await finishSession(sql, { sessionId: id, epoch: 1, status: "completed", run: null, error: null });
    expect(await sql`select 1 from notifications where session_id = ${id}`).toHaveLength(0);
  });

  test("a repeated completion writes one message and one debit", async () => {
    const id = await newSession();
    await write(id, 1, 0, "the answer");
    const finish = () =>
      finishSession(sql, {
        sessionId: id,
        epoch: 1,
        status: "completed",
        run: { run: 1, usage: { inputTokens: 10, outputTokens: 20, estimated: false }, costUsd: 0.123 },
        error: null,
      });
    expect(await Promise.all([finish(), finish(), finish()])).toEqual(["ok", "ok", "ok"]);
    const messages =
      await sql`select content, public.session_output(session_id) as text from messages where session_id = ${id}`;
    expect(messages).toEqual([{ content: null, text: "the answer" }]);
    const debits = await sql`select amount from credit_ledger where session_id = ${id}`;
    expect(debits.map((row) => row.amount)).toEqual(["-12.300000"]);
  });

  test("appends announce the new offset on the session_log channel while a process listens to the session", async () => {
    const id = await newSession();
    // What a process's LISTEN hub does for its readers (lib/db/session-notifications.ts).
    await sql`update sessions set listened_until = now() + interval '1 minute' where id = ${id}`;
    const heard: string[] = [];
    const listener = await sql.listen("session_log", (payload) => heard.push(payload));
    try {
      await write(id, 1, 0, "ping");
      const announced = () => heard.some((payload) => JSON.parse(payload).s === id);
      await waitFor(async () => (announced() ? true : undefined), 10_000, 20);
      expect(heard.map((payload) => JSON.parse(payload))).toContainEqual({ s: id, o: 4 });
    } finally {
      await listener.unlisten();
    }
  });

  test("an unknown session is fenced", async () => {
    expect(await write(randomUUID(), 1, 0, "x")).toBe("fenced");
  });
});

test("text longer than CHECKPOINT_BYTES is stored as several rows in one append, split on characters", async () => {
  const id = await newSession();
  const text = "ü🚀漢".repeat(100); // 9 bytes a repeat: rows of at most 64 bytes must not split a character
  const append = () =>
    appendCheckpoint(sql, {
      sessionId: id,
      epoch: 1,
      startOffset: 0,
      text,
      leaseSeconds: 30,
      maxChunkBytes: 64,
    });
  expect(await append()).toBe("ok");
  const rows = await sql<{ start_offset: number; end_offset: number; text: string }[]>`
    select start_offset, end_offset, text from session_chunks where session_id = ${id} order by start_offset`;
  expect(rows.length).toBeGreaterThan(10);
  let offset = 0;
  for (const row of rows) {
    expect(row.start_offset).toBe(offset);
    expect(row.end_offset - row.start_offset).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(row.text)).toBe(row.end_offset - row.start_offset);
    offset = row.end_offset;
  }
  expect(rows.map((row) => row.text).join("")).toBe(text);
  expect(await append()).toBe("duplicate");
});
