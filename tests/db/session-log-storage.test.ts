import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSql } from "../../lib/db/client.ts";
import { finishSession } from "../../lib/db/session-finish.ts";
import { handOffToBackground } from "../../lib/db/session-lease.ts";
import { appendCheckpoint, readLogText } from "../../lib/db/session-log.ts";
import { LOG_RUN_BYTES } from "../../lib/db/session-log-read.ts";
import { compactSessionLog, deleteExpiredSessionLogs } from "../../lib/db/session-log-storage.ts";
import { SessionNotifications } from "../../lib/db/session-notifications.ts";
import { getSession } from "../../lib/db/sessions.ts";
import { parseEnv } from "../../lib/env.ts";
import { isSessionLogGone, sweepExpiredSessionLogs } from "../../lib/session/log-retention.ts";
import { checkReplayOffset, replayAndTail, settleCursor } from "../../lib/session/read-log.ts";
import { encodeSessionEvent } from "../../lib/session/wire.ts";
import { replayUiMessage } from "../../lib/ui-stream/replay.ts";
import { createTestDatabase } from "../support/database.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const database = await createTestDatabase();
const sql = createSql(database.url, 4);
/** The process's one LISTEN hub, as the runtime holds it. */
const notifications = new SessionNotifications(sql);

afterAll(async () => {
  await sql.end();
  await database.drop();
});

/** A deterministic generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const ALPHABET = ["a", "b", " ", "é", "ß", "日", "本", "🚀", "\n", "x", "y", "z"];

async function newSession(status = "live"): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [session] = await sql`
    insert into sessions (user_id, conversation_id, agent, status, lease_owner, lease_expires_at)
    values (${ALICE}, ${conversation!.id}, 'sim-openclaw', ${status}, 'test', now() + interval '1 minute')
    returning id`;
  return session!.id as string;
}

/**
 * Where a write's deltas ended, as the checkpointer records them (`delta_ends`): none for some writes
 * (rows written before marks existed), else cuts on character boundaries and always the write's end.
 */
function deltaEndsOf(from: number, characters: string[], next: () => number): number[] | undefined {
  if (next() < 0.3) return undefined;
  const ends: number[] = [];
  let offset = from;
  for (const [i, character] of characters.entries()) {
    offset += Buffer.byteLength(character);
    if (i === characters.length - 1 || next() < 0.02) ends.push(offset);
  }
  return ends;
}

/**
 * Appends writes of 1–3,000 bytes until the log has grown by `bytes`; returns the new end. Some
 * writes become several small rows (a delta cut by the row size: rows without a delta end).
 */
async function appendRows(id: string, epoch: number, from: number, bytes: number, next: () => number) {
  let offset = from;
  while (offset < from + bytes) {
    const characters: string[] = [];
    const length = 1 + Math.floor(next() * 900);
    for (let i = 0; i < length; i++) characters.push(ALPHABET[Math.floor(next() * ALPHABET.length)]!);
    const text = characters.join("");
    const deltaEnds = deltaEndsOf(offset, characters, next);
    const maxChunkBytes = next() < 0.1 ? 256 : undefined;
    expect(
      await appendCheckpoint(sql, {
        sessionId: id,
        epoch,
        startOffset: offset,
        text,
        deltaEnds,
        maxChunkBytes,
        leaseSeconds: 30,
      }),
    ).toBe("ok");
    offset += Buffer.byteLength(text);
  }
  return offset;
}

/** The AI SDK UI message chunks a read of the session holds (lib/ui-stream), one JSON per chunk. */
async function uiChunks(id: string): Promise<string[]> {
  const chunks: string[] = [];
  await replayUiMessage(
    { sql, notifications },
    {
      session: (await getSession(sql, id))!,
      emit: (chunk) => chunks.push(JSON.stringify(chunk)),
      signal: new AbortController().signal,
      follow: false,
    },
  );
  return chunks;
}

/**
 * A finished-to-be session of about 420 KiB (more than a 256 KiB replay page) in small rows: epoch 1,
 * a handoff to epoch 2, a seam inside epoch 2, multi-byte characters everywhere.
 */
async function buildSession(
  seed: number,
): Promise<{ id: string; end: number; epochStart: number; seam: number }> {
  const next = random(seed);
  const id = await newSession();
  const epochStart = await appendRows(id, 1, 0, 150_000, next);
  expect(await handOffToBackground(sql, id, 1, 30)).toBe(2);
  const seam = await appendRows(id, 2, epochStart, 120_000, next);
  await sql`update sessions set seam_offsets = array_append(seam_offsets, durable_offset) where id = ${id}`;
  const end = await appendRows(id, 2, seam, 150_000, next);
  return { id, end, epochStart, seam };
}

/** Everything a replay from `offset` (with a cursor of `epoch`) sends, in its wire encoding. */
async function replay(id: string, offset: number, epoch: number | null): Promise<string> {
  const session = (await getSession(sql, id))!;
  const settled = await settleCursor(sql, session, { offset, epoch });
  const check = await checkReplayOffset(sql, session, settled.offset);
  const sent = [JSON.stringify(settled), check];
  if (check !== "ok") return sent.join("\n");
  await replayAndTail(
    { sql, notifications },
    {
      from: settled.offset,
      epoch: settled.epoch,
      session,
      follow: false,
      signal: new AbortController().signal,
      emit: (event) => {
        const encoded = encodeSessionEvent(event);
        sent.push(`event: ${encoded.event}\nid: ${encoded.id ?? ""}\ndata: ${JSON.stringify(encoded.data)}`);
      },
    },
  );
  return sent.join("\n");
}

/** Offsets worth replaying from: every window edge and its neighbours, row starts, random bytes. */
async function offsetsToTry(id: string, end: number, next: () => number): Promise<number[]> {
  const offsets = new Set<number>([0, 1, 2, 3, end - 1, end, end + 1]);
  for (let edge = 0; edge <= end + LOG_RUN_BYTES; edge += LOG_RUN_BYTES)
    for (const delta of [-4, -3, -2, -1, 0, 1, 2, 3]) offsets.add(Math.max(0, edge + delta));
  for (const edge of [32 * 1024, 256 * 1024, 288 * 1024]) offsets.add(edge);
  const starts = await sql<{ start_offset: number }[]>`
    select start_offset from session_chunks where session_id = ${id} order by start_offset`;
  for (const row of starts) if (next() < 0.15) offsets.add(row.start_offset);
  for (let i = 0; i < 30; i++) offsets.add(Math.floor(next() * end));
  return [...offsets].sort((a, b) => a - b);
}

/** The text of a replay's `delta` events (as `replay` records them). */
function deltaText(sent: string): string {
  return sent
    .split("\nevent: delta\n")
    .slice(1)
    .map((event) => (JSON.parse(event.split("\ndata: ")[1]!.split("\n")[0]!) as { text: string }).text)
    .join("");
}

/** Every plain-offset replay in `replays` sends exactly the log's bytes from its offset. */
function expectLogBytesFromOffsets(replays: Map<string, string>, text: string) {
  const bytes = Buffer.from(text);
  let checked = 0;
  for (const [key, sent] of replays) {
    const [offset, generation] = key.split("/");
    if (generation !== "null" || sent.split("\n")[1] !== "ok") continue;
    expect({ key, text: deltaText(sent) }).toEqual({ key, text: bytes.subarray(Number(offset)).toString() });
    checked += 1;
  }
  return checked;
}

/** Where two replays first differ (null when identical), short enough to read in a failure. */
function firstDifference(key: string, after: string, before: string) {
  if (after === before) return null;
  let at = 0;
  while (after[at] === before[at]) at++;
  return { key, at, after: after.slice(at, at + 120), before: before.slice(at, at + 120) };
}

const rowsOf = (id: string) => sql`
  select start_offset, end_offset, epoch, md5(text) as digest from session_chunks
  where session_id = ${id} order by start_offset`;

describe("compaction of a finished session's log", () => {
  let built: Awaited<ReturnType<typeof buildSession>>;
  let offsets: number[];
  const before = new Map<string, string>();
  let textBefore: string;
  let rowsBefore: number;
  let uiBefore: string[];

  beforeAll(async () => {
    built = await buildSession(19);
    // Finished as a release before compaction left it: the status only (finishSession compacts).
    await sql`update sessions set status = 'completed', finished_at = now() where id = ${built.id}`;
    offsets = await offsetsToTry(built.id, built.end, random(7));
    textBefore = await readLogText(sql, built.id);
    rowsBefore = (await rowsOf(built.id)).length;
    uiBefore = await uiChunks(built.id);
    for (const offset of offsets)
      for (const generation of [null, 1, 2])
        before.set(`${offset}/${generation}`, await replay(built.id, offset, generation));
  });

  test("a replay sends the log's bytes from its offset, across its read pages (read ahead)", () => {
    // The log is longer than a first page and the page read ahead with it.
    expect(Buffer.byteLength(textBefore)).toBeGreaterThan(400_000);
    expect(expectLogBytesFromOffsets(before, textBefore)).toBeGreaterThan(50);
  });

  test("a running session's log is left as it is", async () => {
    const running = await newSession();
    await appendRows(running, 1, 0, 5_000, random(3));
    const rows = await rowsOf(running);
    expect(rows.length).toBeGreaterThan(5);
    expect(await compactSessionLog(sql, running)).toBe(0);
    expect(await rowsOf(running)).toEqual(rows);
  });

  test("finishing merges the rows into replay runs, never across an epoch or a seam", async () => {
    expect(rowsBefore).toBeGreaterThan(500);
    const outcome = await finishSession(sql, {
      sessionId: built.id,
      epoch: 2,
      status: "completed",
      run: null,
      error: null,
    });
    expect(outcome).toBe("ok");
    const rows = await sql<{ start_offset: number; end_offset: number; epoch: number }[]>`
      select start_offset, end_offset, epoch from session_chunks where session_id = ${built.id} order by start_offset`;
    expect(rows.length).toBeLessThan(15);
    expect(rows.map((row) => row.start_offset)).toContain(built.epochStart);
    expect(rows.map((row) => row.start_offset)).toContain(built.seam);
    for (const [i, row] of rows.entries()) {
      if (i > 0) expect(row.start_offset).toBe(rows[i - 1]!.end_offset);
      expect(row.epoch).toBe(row.start_offset < built.epochStart ? 1 : 2);
      // A merged row is one replay window, passing its end by less than one original row.
      expect(row.end_offset - row.start_offset).toBeLessThan(LOG_RUN_BYTES + 3000);
    }
    expect(await readLogText(sql, built.id)).toBe(textBefore);
  });

  test("every replay, from every offset and cursor generation, is byte for byte what it was", async () => {
    let deltas = 0;
    const after = new Map<string, string>();
    for (const offset of offsets) {
      for (const generation of [null, 1, 2]) {
        const key = `${offset}/${generation}`;
        const sent = await replay(built.id, offset, generation);
        after.set(key, sent);
        deltas += sent.split("event: delta").length - 1;
        expect(firstDifference(key, sent, before.get(key) ?? "")).toBeNull();
      }
    }
    expect(expectLogBytesFromOffsets(after, textBefore)).toBeGreaterThan(50);
    // The comparison covered real output, and cursors an older producer's bytes must rewind.
    expect(deltas).toBeGreaterThan(offsets.length);
    expect([...before.values()].some((sent) => sent.includes('"rewound":true'))).toBe(true);
  });

  test("the AI SDK chunks of the session are the same chunks, numbered the same (delta_ends kept)", async () => {
    const [marks] = await sql<{ unmarked: number; empty: number }[]>`
      select count(*) filter (where delta_ends is null)::int as unmarked,
             count(*) filter (where delta_ends = '{}')::int as empty
      from session_chunks where session_id = ${built.id}`;
    // Merged rows carry their marks: none is left without (it would be read as one delta).
    expect(marks!.unmarked).toBe(0);
    const after = await uiChunks(built.id);
    // Far more deltas than rows: a merged row is cut where the live deltas ended.
    expect(after.filter((chunk) => chunk.includes('"text-delta"')).length).toBeGreaterThan(rowsBefore);
    expect(after.length).toBe(uiBefore.length);
    const differing = after.findIndex((chunk, i) => chunk !== uiBefore[i]);
    expect({ differing, chunk: after[differing] }).toEqual({ differing: -1, chunk: undefined });
  });

  test("compacting again changes no row", async () => {
    const rows = await rowsOf(built.id);
    expect(await compactSessionLog(sql, built.id)).toBe(0);
    expect(await rowsOf(built.id)).toEqual(rows);
  });
});

describe("retention (SESSION_RETENTION_DAYS)", () => {
  async function finishedDaysAgo(days: number, text: string): Promise<string> {
    const id = await newSession();
    await appendCheckpoint(sql, { sessionId: id, epoch: 1, startOffset: 0, text, leaseSeconds: 30 });
    await finishSession(sql, { sessionId: id, epoch: 1, status: "completed", run: null, error: null });
    await sql`update sessions set finished_at = now() - make_interval(days => ${days}) where id = ${id}`;
    return id;
  }

  test("unset keeps every log", async () => {
    const old = await finishedDaysAgo(400, "kept forever");
    expect(await sweepExpiredSessionLogs(sql, parseEnv({ DATABASE_URL: database.url }))).toEqual([]);
    expect(await readLogText(sql, old)).toBe("kept forever");
  });

  test("the sweep deletes logs finished longer ago than the retention and marks them gone", async () => {
    const old = await finishedDaysAgo(31, "old answer");
    const recent = await finishedDaysAgo(29, "recent answer");
    const running = await newSession();
    await appendCheckpoint(sql, {
      sessionId: running,
      epoch: 1,
      startOffset: 0,
      text: "…",
      leaseSeconds: 30,
    });
    await sql`update sessions set started_at = now() - interval '90 days' where id = ${running}`;

    const env = parseEnv({ DATABASE_URL: database.url, SESSION_RETENTION_DAYS: "30" });
    const deleted = await sweepExpiredSessionLogs(sql, env);
    expect(deleted).toContain(old);
    expect(deleted).not.toContain(recent);
    expect(await readLogText(sql, old)).toBe("");
    expect(isSessionLogGone((await getSession(sql, old))!)).toBe(true);
    expect(isSessionLogGone((await getSession(sql, recent))!)).toBe(false);
    expect(await readLogText(sql, recent)).toBe("recent answer");
    expect(await readLogText(sql, running)).toBe("…");
    // Nothing is left to delete: a second sweep is a no-op.
    expect(await deleteExpiredSessionLogs(sql, 30)).toEqual([]);
  });
});
