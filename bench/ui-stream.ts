// The AI SDK UI message stream (issue 18) next to the product's own SSE: resume of 1 MiB and the live
// path's added latency per chunk, each against its baseline in the same run.
import { createSql, type Sql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { sessionWithLog } from "./read-path.ts";
import { benchSession, completeBenchSession, fmt, readRawPipe, readSsePieces, timeRead } from "./support.ts";
import { latenciesOf, startRawPipe, startTimestampAgent, timestampAgentEnv } from "./timestamp-agent.ts";

const MIB = 1024 * 1024;

/** A finished 1 MiB answer written as a live runner writes it: 7 KiB writes, a delta end every 14 B. */
async function answerOfOneMiB(sql: Sql): Promise<string> {
  const started = await benchSession(sql);
  const piece = "résumé 🚀 ".repeat(8192 / 16);
  const step = Buffer.byteLength("résumé 🚀 ");
  let offset = 0;
  while (offset < MIB) {
    const bytes = Buffer.byteLength(piece);
    const deltaEnds = Array.from({ length: bytes / step }, (_, i) => offset + (i + 1) * step);
    await appendCheckpoint(sql, {
      sessionId: started.sessionId,
      epoch: started.epoch,
      startOffset: offset,
      text: piece,
      deltaEnds,
      leaseSeconds: 60,
    });
    offset += bytes;
  }
  await completeBenchSession(sql, started);
  return started.sessionId;
}

/** RUNS reads of the UI message stream and of the session stream of one session, in turns, after a warm-up. */
const RUNS = 20;
async function timeUiAndSessionReads(appUrl: string, token: string, sessionId: string) {
  const reads = [
    [`${appUrl}/api/chat/${sessionId}/stream`, '"type":"text-delta"'],
    [`${appUrl}/api/sessions/${sessionId}/stream?offset=0`, "event: delta"],
  ] as const;
  const timings = reads.map(() => ({ firsts: [] as number[], totals: [] as number[] }));
  for (let i = 0; i <= RUNS; i++) {
    for (const [index, [url, marker]] of reads.entries()) {
      const { first, total } = await timeRead(url, token, marker);
      if (i === 0) continue;
      timings[index]!.firsts.push(first);
      timings[index]!.totals.push(total);
    }
  }
  return timings.map((timing) => ({
    first: percentile(timing.firsts, 50),
    whole: percentile(timing.totals, 50),
  }));
}

export async function uiResume(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  const app = await environment.startApp();
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    // A live runner records each delta's end (its client got one chunk per delta); a background
    // runner records none, so its replay is one text-delta per row.
    const cases = {
      "live-written (a delta end every 14 B)": await answerOfOneMiB(sql),
      "background-written (7 KiB writes, no delta ends)": (await sessionWithLog(sql, 8192)).sessionId,
    };
    console.log(`\nResume of a 1 MiB answer, ${RUNS} runs in turns after a warm-up, p50`);
    for (const [name, sessionId] of Object.entries(cases)) {
      const [ui, session] = await timeUiAndSessionReads(app.url, token, sessionId);
      // Finishing compacts the log: rows of 64 KiB keeping every delta end (a row without: its end).
      const [log] = await sql<{ rows: number; deltas: number }[]>`
        select count(*)::int as rows, sum(coalesce(cardinality(delta_ends), 1))::int as deltas
        from session_chunks where session_id = ${sessionId}`;
      console.log(`  ${name}: ${log!.rows} rows, ${log!.deltas} text-deltas`);
      console.log(
        `    GET /api/chat/{id}/stream    : first chunk ${fmt(ui!.first)} ms, whole ${fmt(ui!.whole)} ms`,
      );
      console.log(
        `    GET /api/sessions/{id}/stream: first delta ${fmt(session!.first)} ms, whole ${fmt(session!.whole)} ms`,
      );
      console.log(`    whole: ${fmt(ui!.whole / session!.whole)}× the session stream (budget ≤ 1.2×)`);
    }
  } finally {
    await app.stop();
    await sql.end();
  }
}

export async function uiLiveLatency(environment: BenchEnvironment): Promise<void> {
  const deltas = 2000;
  const agent = await startTimestampAgent({ deltas, perSecond: 400 });
  const pipe = await startRawPipe(agent.url);
  const app = await environment.startApp(timestampAgentEnv(agent.url));
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    for (const measure of [false, true]) {
      const raw = await readRawPipe(pipe.url);
      const ui = await readSsePieces(
        await fetch(`${app.url}/api/chat`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({
            messages: [{ id: "m", role: "user", parts: [{ type: "text", text: "bench" }] }],
            mode: "live",
          }),
        }),
        (_event, data) => {
          if (data === "[DONE]") return null;
          const chunk = JSON.parse(data) as { type: string; delta?: string };
          return chunk.type === "text-delta" ? (chunk.delta ?? null) : null;
        },
      );
      if (!measure) continue;
      const [rawLatency, uiLatency] = [latenciesOf(raw), latenciesOf(ui)];
      console.log(`\nLive path in the UI message stream vs raw Node pipe (${deltas} deltas at 400/s)`);
      console.log(
        `  raw pipe        p50 ${fmt(percentile(rawLatency, 50))} ms, p99 ${fmt(percentile(rawLatency, 99))} ms`,
      );
      console.log(
        `  UI chunks       p50 ${fmt(percentile(uiLatency, 50))} ms, p99 ${fmt(percentile(uiLatency, 99))} ms (n=${uiLatency.length})`,
      );
      console.log(
        `  added:          p50 ${fmt(percentile(uiLatency, 50) - percentile(rawLatency, 50))} ms, p99 ${fmt(percentile(uiLatency, 99) - percentile(rawLatency, 99))} ms (budget: p50 < 1 ms, p99 < 5 ms)`,
      );
    }
  } finally {
    await app.stop();
    await pipe.close();
    await agent.close();
  }
}
