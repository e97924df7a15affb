import { createSql, type Sql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { startRawReplay } from "./raw-replay.ts";
import { benchSession, completeBenchSession, fmt } from "./support.ts";

const MIB = 1024 * 1024;

/**
 * Writes 1 MiB into a finished session's log as rows of about `rowBytes`. Finishing compacts the log
 * (rows merged up to 64 KiB); `compacted: false` puts the rows back as they were written, the log of
 * a session finished before compaction (or read the way a running session's log is).
 */
export async function sessionWithLog(
  sql: Sql,
  rowBytes: number,
  { compacted = true }: { compacted?: boolean } = {},
): Promise<{ sessionId: string; bytes: number }> {
  const started = await benchSession(sql);
  const piece = "résumé 🚀 ".repeat(8192 / 16);
  let offset = 0;
  while (offset < MIB) {
    await appendCheckpoint(sql, {
      sessionId: started.sessionId,
      epoch: started.epoch,
      startOffset: offset,
      text: piece,
      leaseSeconds: 60,
      maxChunkBytes: rowBytes,
    });
    offset += Buffer.byteLength(piece);
  }
  const written = await sql`select * from session_chunks where session_id = ${started.sessionId}`;
  await completeBenchSession(sql, started);
  if (!compacted)
    await sql.begin(async (tx) => {
      await tx`delete from session_chunks where session_id = ${started.sessionId}`;
      await tx`insert into session_chunks ${tx(written)}`;
    });
  return { sessionId: started.sessionId, bytes: offset };
}

/** First delta and whole replay of one read of `url`, and the time of the snapshot read after it. */
async function timeReplay(url: string, appUrl: string, token: string, sessionId: string, bytes: number) {
  const begin = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let first = 0;
  let received = 0;
  let events = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    const count = decoder.decode(value, { stream: true }).split("event: delta").length - 1;
    if (!first && count > 0) first = performance.now() - begin;
    events += count;
  }
  const total = performance.now() - begin;
  const snapshotBegin = performance.now();
  await (
    await fetch(`${appUrl}/api/sessions/${sessionId}`, { headers: { authorization: `Bearer ${token}` } })
  ).json();
  if (received < bytes) throw new Error("short replay");
  return { first, total, snapshot: performance.now() - snapshotBegin, events };
}

/** RUNS reads of each of `urls`, taken in turns (a busy machine slows both alike), after a warm-up. */
const RUNS = 20;
async function timeReplays(urls: string[], appUrl: string, token: string, sessionId: string, bytes: number) {
  const timings = urls.map(() => ({
    firstBytes: [] as number[],
    totals: [] as number[],
    snapshots: [] as number[],
    events: 0,
  }));
  for (let i = 0; i <= RUNS; i++) {
    for (const [index, url] of urls.entries()) {
      const read = await timeReplay(url, appUrl, token, sessionId, bytes);
      if (i === 0) continue;
      const timing = timings[index]!;
      timing.firstBytes.push(read.first);
      timing.totals.push(read.total);
      timing.snapshots.push(read.snapshot);
      timing.events = read.events;
    }
  }
  return timings;
}

export async function resumeFirstByte(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  const app = await environment.startApp();
  const raw = await startRawReplay(environment.databaseUrl);
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    console.log(
      `\nResume of 1 MiB of partial output (stream endpoint, offset 0, ${RUNS} runs, in turns with the baseline)`,
    );
    for (const [rowBytes, compacted] of [
      [8192, false],
      [8192, true],
      [64, true],
    ] as const) {
      const { sessionId, bytes } = await sessionWithLog(sql, rowBytes, { compacted });
      const [rows] = await sql<{ count: number }[]>`
        select count(*)::int as count from session_chunks where session_id = ${sessionId}`;
      const urls = [`${app.url}/api/sessions/${sessionId}/stream?offset=0`, `${raw.url}/${sessionId}`];
      const [timing, baseline] = await timeReplays(urls, app.url, token, sessionId, bytes);
      if (!timing || !baseline) throw new Error("no timings");
      const [whole, rawWhole] = [percentile(timing.totals, 50), percentile(baseline.totals, 50)];
      console.log(
        `  ${String(rows!.count).padStart(5)} rows of ${rowBytes} B${compacted ? ", compacted" : ""}: first delta p50 ${fmt(percentile(timing.firstBytes, 50))} ms (budget < 50 ms); whole replay p50 ${fmt(whole)} ms in ${timing.events} delta events; baseline snapshot JSON p50 ${fmt(percentile(timing.snapshots, 50))} ms`,
      );
      console.log(
        `  ${" ".repeat(5)} raw-Node baseline (node:http, one query, same events): first delta p50 ${fmt(percentile(baseline.firstBytes, 50))} ms, whole p50 ${fmt(rawWhole)} ms; the endpoint is ${fmt(whole / rawWhole)}× (budget ≤ 1.5×)`,
      );
    }
  } finally {
    await raw.close();
    await app.stop();
    await sql.end();
  }
}

/** Commits and rollbacks per second of the database over `windowMs`. */
export async function transactionsPerSecond(sql: Sql, windowMs: number): Promise<number> {
  const count = async () => {
    const [row] = await sql<{ count: number }[]>`
      select (xact_commit + xact_rollback)::int8 as count from pg_stat_database where datname = current_database()`;
    return Number(row!.count);
  };
  const before = await count();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return ((await count()) - before) / (windowMs / 1000);
}

/**
 * The database's load with no readers once its counters settled, then a running session nobody
 * writes to (its lease held for an hour), for readers to wait on.
 */
export async function idleSessionWithBaseline(
  sql: Sql,
  windowMs: number,
): Promise<{ baseline: number; sessionId: string }> {
  // Counters reach pg_stat_database with a delay of up to ~10 s: settle before each window.
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  const baseline = await transactionsPerSecond(sql, windowMs);
  const started = await benchSession(sql, { status: "background", runner: "worker" });
  await sql`update sessions set lease_expires_at = now() + interval '1 hour' where id = ${started.sessionId}`;
  return { baseline, sessionId: started.sessionId };
}

/** Database load of idle stream readers: transactions per second, against the same database with none. */
export async function idleReaders(environment: BenchEnvironment): Promise<void> {
  const readers = 500;
  const windowMs = 20_000;
  const sql = createSql(environment.databaseUrl, 2);
  const app = await environment.startApp();
  const abort = new AbortController();
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const { baseline, sessionId } = await idleSessionWithBaseline(sql, windowMs);
    const opened = await Promise.all(
      Array.from({ length: readers }, async () => {
        const response = await fetch(`${app.url}/api/sessions/${sessionId}/stream?offset=0`, {
          headers: { authorization: `Bearer ${token}` },
          signal: abort.signal,
        });
        await response.body!.getReader().read();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const loaded = await transactionsPerSecond(sql, windowMs);
    console.log(
      `\nDatabase load of ${opened.length} idle stream readers (one next start, ${windowMs / 1000} s window)`,
    );
    console.log(
      `  ${fmt(loaded, 1)} transactions/s (baseline, no readers: ${fmt(baseline, 1)}/s; a re-read per reader every 5 s would be ${fmt((readers * 2) / 5, 0)}/s)`,
    );
  } finally {
    abort.abort();
    await app.stop();
    await sql.end();
  }
}
