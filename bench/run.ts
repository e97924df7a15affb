// `npm run bench`: figures for DESIGN §10, each with its baseline measured in the same run.
import { readFileSync } from "node:fs";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { createSql, type Sql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import { type StartSessionInput, startSession } from "../lib/db/session-start.ts";
import { Checkpointer } from "../lib/session/checkpointer.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, nowMs, percentile, startBenchEnvironment } from "./environment.ts";
import { latenciesOf, startRawPipe, startTimestampAgent } from "./timestamp-agent.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const fmt = (value: number, digits = 2) => value.toFixed(digits);

/** A session row for Alice, live by default, to write a log into directly. */
async function benchSession(sql: Sql, overrides: Partial<StartSessionInput> = {}) {
  const started = await startSession(sql, {
    userId: ALICE,
    message: "bench",
    agent: "sim-chat",
    mode: "live",
    status: "live",
    runner: "live",
    leaseOwner: "bench",
    title: "bench",
    leaseSeconds: 60,
    ...overrides,
  });
  if (started === "not_found") throw new Error("unexpected");
  return started;
}

async function readSsePieces(
  response: Response,
  pick: (event: string | undefined, data: string) => string | null,
) {
  const pieces: { text: string; at: number }[] = [];
  const reader = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = nowMs();
    const text = pick(value.event, value.data);
    if (text) pieces.push({ text, at });
  }
  return pieces;
}

async function liveLatency(environment: BenchEnvironment): Promise<void> {
  const deltas = 2000;
  const agent = await startTimestampAgent({ deltas, perSecond: 400 });
  const pipe = await startRawPipe(agent.url);
  const app = await environment.startApp({
    AGENTS: JSON.stringify([
      {
        name: "bench",
        transport: "chat-completions",
        url: `${agent.url}/v1`,
        token: "bench",
        model: "bench",
      },
    ]),
    DEFAULT_AGENT: "bench",
    CHECKPOINT_MS: process.env.BENCH_CHECKPOINT_MS ?? "250",
  });
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    // Warm both paths once (JIT, connection pools), then measure.
    for (const measure of [false, false, true]) {
      const raw = await readSsePieces(
        await fetch(pipe.url, { method: "POST", body: JSON.stringify({ stream: true }) }),
        (_event, data) =>
          data === "[DONE]" ? null : (JSON.parse(data).choices?.[0]?.delta?.content ?? null),
      );
      const live = await readSsePieces(
        await fetch(`${app.url}/api/chat`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ message: "bench", mode: "live" }),
        }),
        (event, data) => (event === "delta" ? (JSON.parse(data) as { text: string }).text : null),
      );
      if (!measure) continue;
      const rawLatency = latenciesOf(raw);
      const liveLatencyMs = latenciesOf(live);
      if (process.env.BENCH_DEBUG) {
        for (let i = 0; i < liveLatencyMs.length; i += 200) {
          const window = liveLatencyMs.slice(i, i + 200);
          console.log(
            `    window ${i}: p50 ${fmt(percentile(window, 50))} max ${fmt(Math.max(...window))} pieces ${live.length}`,
          );
        }
      }
      const [rawP50, rawP99] = [percentile(rawLatency, 50), percentile(rawLatency, 99)];
      const [liveP50, liveP99] = [percentile(liveLatencyMs, 50), percentile(liveLatencyMs, 99)];
      console.log(`\nLive path vs raw Node pipe (${deltas} deltas at 400/s, same agent, same run)`);
      console.log(
        `  raw pipe   latency per delta: p50 ${fmt(rawP50)} ms, p99 ${fmt(rawP99)} ms (n=${rawLatency.length})`,
      );
      console.log(
        `  live route latency per delta: p50 ${fmt(liveP50)} ms, p99 ${fmt(liveP99)} ms (n=${liveLatencyMs.length})`,
      );
      console.log(
        `  added by the product:         p50 ${fmt(liveP50 - rawP50)} ms, p99 ${fmt(liveP99 - rawP99)} ms  (budget: p50 < 1 ms, p99 < 5 ms)`,
      );
    }
  } finally {
    await app.stop();
    await pipe.close();
    await agent.close();
  }
}

async function checkpointRate(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 4);
  const intervalMs = 250;
  console.log(
    `\nCheckpoint writes per session (CHECKPOINT_MS=${intervalMs}, CHECKPOINT_BYTES=8192, real Postgres, 5 s each)`,
  );
  try {
    for (const tokensPerSecond of [1_000, 10_000]) {
      const started = await benchSession(sql);
      let writes = 0;
      const checkpointer = new Checkpointer({
        store: (write) => {
          writes++;
          return appendCheckpoint(sql, write);
        },
        sessionId: started.sessionId,
        epoch: started.epoch,
        startOffset: 0,
        intervalMs,
        maxBytes: 8192,
        leaseSeconds: 60,
      });
      const seconds = 5;
      const begin = performance.now();
      let tokens = 0;
      while (performance.now() - begin < seconds * 1000) {
        const due = Math.floor(((performance.now() - begin) / 1000) * tokensPerSecond);
        for (; tokens < due; tokens++) checkpointer.push("tök3n ");
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await checkpointer.flush();
      const perSecond = writes / seconds;
      console.log(
        `  ${String(tokensPerSecond).padStart(6)} tokens/s: ${fmt(perSecond, 1)} writes/s (bound 1/CHECKPOINT_MS = ${fmt(1000 / intervalMs, 1)}/s; naive per-token writes would be ${tokensPerSecond}/s, ratio ${fmt(tokensPerSecond / perSecond, 0)}x fewer)`,
      );
    }
  } finally {
    await sql.end();
  }
}

async function resumeFirstByte(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  const app = await environment.startApp();
  try {
    const started = await benchSession(sql);
    const piece = "résumé 🚀 ".repeat(8192 / 16);
    let offset = 0;
    while (offset < 1024 * 1024) {
      await appendCheckpoint(sql, {
        sessionId: started.sessionId,
        epoch: 1,
        startOffset: offset,
        text: piece,
        leaseSeconds: 60,
      });
      offset += Buffer.byteLength(piece);
    }
    await sql`update sessions set status = 'completed' where id = ${started.sessionId}`;
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const firstBytes: number[] = [];
    const totals: number[] = [];
    const snapshotTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const begin = performance.now();
      const response = await fetch(`${app.url}/api/sessions/${started.sessionId}/stream?offset=0`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const reader = response.body!.getReader();
      let first = 0;
      let received = 0;
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (!first && new TextDecoder().decode(value).includes("event: delta"))
          first = performance.now() - begin;
      }
      const snapshotBegin = performance.now();
      await (
        await fetch(`${app.url}/api/sessions/${started.sessionId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json();
      if (i > 0) {
        firstBytes.push(first);
        totals.push(performance.now() - begin);
        snapshotTimes.push(performance.now() - snapshotBegin);
      }
      if (received < offset) throw new Error("short replay");
    }
    console.log(
      `\nResume of ${fmt(offset / 1024 / 1024)} MiB of partial output (stream endpoint, offset 0, 5 runs)`,
    );
    console.log(
      `  first delta: p50 ${fmt(percentile(firstBytes, 50))} ms (budget < 50 ms); whole replay p50 ${fmt(percentile(totals, 50))} ms`,
    );
    console.log(`  baseline, snapshot JSON of the same output: p50 ${fmt(percentile(snapshotTimes, 50))} ms`);
  } finally {
    await app.stop();
    await sql.end();
  }
}

async function handoffGap(environment: BenchEnvironment): Promise<void> {
  const app = await environment.startApp({ LIVE_BUDGET_SECONDS: "2" });
  await environment.startWorker();
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const gaps: number[] = [];
    const deltaGaps: number[] = [];
    for (let run = 0; run < 5; run++) {
      const response = await fetch(`${app.url}/api/chat`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ message: `#sim tokens=2000 rate=200 seed=gap${run}`, agent: "sim-openai-bg" }),
      });
      let lastLive = 0;
      let previous = 0;
      let sessionId = "";
      let handoffOffset = 0;
      const reader = response
        .body!.pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream())
        .getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.event === "session") sessionId = JSON.parse(value.data).sessionId;
        if (value.event === "delta") {
          const at = performance.now();
          if (previous) deltaGaps.push(at - previous);
          previous = at;
          lastLive = at;
        }
        if (value.event === "handoff") handoffOffset = JSON.parse(value.data).offset;
      }
      const stream = await fetch(`${app.url}/api/sessions/${sessionId}/stream?offset=${handoffOffset}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const tail = stream
        .body!.pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream())
        .getReader();
      while (true) {
        const { done, value } = await tail.read();
        if (done) break;
        if (value.event === "delta") {
          gaps.push(performance.now() - lastLive);
          break;
        }
      }
      await tail.cancel();
    }
    console.log(
      "\nHandoff gap, local worker (last live delta → first background delta at a reader, 5 runs, 200 tokens/s)",
    );
    console.log(
      `  gap: p50 ${fmt(percentile(gaps, 50))} ms, max ${fmt(Math.max(...gaps))} ms (budget < 500 ms)`,
    );
    console.log(`  baseline, gap between consecutive live deltas: p50 ${fmt(percentile(deltaGaps, 50))} ms`);
  } finally {
    await app.stop();
  }
}

async function workerCapacity(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 4);
  await environment.startWorker({ WORKER_CONCURRENCY: "2000" });
  console.log("\nConcurrent background sessions in one worker process, 20 tokens/s each, checkpointing on");
  try {
    for (const sessions of [100, 250, 500]) {
      const tokens = 100;
      const expectedMs = (tokens / 20) * 1000;
      const ids: string[] = [];
      const begin = performance.now();
      for (let i = 0; i < sessions; i++) {
        const started = await benchSession(sql, {
          message: `#sim tokens=${tokens} rate=20 seed=cap${sessions}-${i}`,
          agent: "sim-openai-bg",
          mode: "background",
          status: "background",
          runner: null,
          leaseOwner: null,
        });
        ids.push(started.sessionId);
      }
      await sql`select pg_notify('session_dispatch', '{}')`;
      let completed = 0;
      while (performance.now() - begin < expectedMs * 4) {
        const [row] = await sql<{ done: number }[]>`
          select count(*)::int as done from sessions where id = any(${ids}) and status = 'completed'`;
        completed = row!.done;
        if (completed === sessions) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const [durations] = await sql<{ p50: number; p99: number }[]>`
        select percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at))::float8 * 1000 as p50,
               percentile_cont(0.99) within group (order by extract(epoch from finished_at - created_at))::float8 * 1000 as p99
        from sessions where id = any(${ids}) and status = 'completed'`;
      console.log(
        `  ${String(sessions).padStart(4)} sessions: ${completed}/${sessions} completed; time to finish p50 ${fmt(durations!.p50 / 1000)} s, p99 ${fmt(durations!.p99 / 1000)} s (baseline: the agent alone takes ${fmt(expectedMs / 1000)} s)`,
      );
    }
  } finally {
    await sql.end();
  }
}

/** Resident memory (KiB) of a process and all its descendants. */
function treeRssKiB(pid: number): number {
  let total = 0;
  const visit = (current: number) => {
    try {
      const status = readFileSync(`/proc/${current}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const children = readFileSync(`/proc/${current}/task/${current}/children`, "utf8").trim();
      for (const child of children ? children.split(" ") : []) visit(Number(child));
    } catch {
      // The process ended while we looked.
    }
  };
  visit(pid);
  return total;
}

/**
 * Memory of `streams` open idle connections on a fresh server process, as the slope between half and
 * all of them (which leaves out the server's one-time heap growth). Resident memory of the whole
 * process tree, so it counts sockets and buffers, not only the JavaScript heap.
 */
async function memoryPerConnection(
  environment: BenchEnvironment,
  streams: number,
  open: (appUrl: string, token: string, index: number, signal: AbortSignal) => Promise<Response>,
): Promise<{ perConnectionKiB: number; beforeMiB: number; afterMiB: number; seconds: number }> {
  const app = await environment.startApp({ LIVE_BUDGET_SECONDS: "600" });
  const token = await signIn(environment.supabaseUrl, "alice@example.com");
  const held: { controller: AbortController; done: Promise<void> }[] = [];
  try {
    // Warm the routes, then measure with no stream open.
    await readSsePieces(await postChat(app.url, token, "#sim tokens=5 rate=0"), () => null);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = treeRssKiB(app.pid);
    const begin = performance.now();
    const openMany = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const controller = new AbortController();
        const reader = (await open(app.url, token, held.length, controller.signal)).body!.getReader();
        const done = (async () => {
          try {
            while (!(await reader.read()).done) {}
          } catch {
            // Aborted at the end of the bench.
          }
        })();
        held.push({ controller, done });
      }
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return treeRssKiB(app.pid);
    };
    const atHalf = await openMany(streams / 2);
    const atFull = await openMany(streams / 2);
    return {
      perConnectionKiB: (atFull - atHalf) / (streams / 2),
      beforeMiB: before / 1024,
      afterMiB: atFull / 1024,
      seconds: (performance.now() - begin) / 1000,
    };
  } finally {
    for (const connection of held) connection.controller.abort();
    await Promise.allSettled(held.map((connection) => connection.done));
    // End the idle sessions (fencing their runners) so the server's shutdown does not hand them to
    // the worker that a later benchmark measures.
    const sql = createSql(environment.databaseUrl, 1);
    await sql`update sessions set status = 'cancelled', epoch = epoch + 1, finished_at = now()
              where status not in ('completed', 'failed', 'cancelled')`;
    await sql.end();
    await app.stop();
  }
}

async function liveScale(environment: BenchEnvironment): Promise<void> {
  const streams = 1000;
  // One token, then a long silence: an idle live stream, as during a slow tool call.
  const live = await memoryPerConnection(environment, streams, (url, token, index, signal) =>
    postChat(url, token, `#sim tokens=2 rate=0 stall=120000@1 seed=idle${index}`, signal),
  );
  // Baseline on its own fresh server: idle readers of the stream endpoint (HTTP + SSE, no agent).
  const sql = createSql(environment.databaseUrl, 1);
  const waiting = await benchSession(sql, { status: "background", runner: "worker", leaseOwner: "bench" });
  await sql.end();
  const readers = await memoryPerConnection(environment, streams, (url, token, _index, signal) =>
    fetch(`${url}/api/sessions/${waiting.sessionId}/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal,
    }),
  );
  console.log(
    `\n${streams} concurrent idle live streams on one server process (${fmt(live.seconds, 1)} s to open them all)`,
  );
  console.log(
    `  server memory ${fmt(live.beforeMiB, 0)} → ${fmt(live.afterMiB, 0)} MiB: ${fmt(live.perConnectionKiB, 1)} KiB per additional idle live stream (budget < 64 KiB)`,
  );
  console.log(
    `  baseline, ${streams} idle readers of the stream endpoint (HTTP + SSE, no agent connection): ${fmt(readers.perConnectionKiB, 1)} KiB each; ratio ${fmt(live.perConnectionKiB / readers.perConnectionKiB, 2)}`,
  );
}

function postChat(appUrl: string, token: string, message: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${appUrl}/api/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ message, mode: "live" }),
    signal,
  });
}

const benches: Record<string, (environment: BenchEnvironment) => Promise<void>> = {
  live: liveLatency,
  scale: liveScale,
  checkpoint: checkpointRate,
  resume: resumeFirstByte,
  handoff: handoffGap,
  worker: workerCapacity,
};
// `npm run bench -- handoff live` runs only those; no names runs them all.
const selected = process.argv.slice(2).filter((name) => name in benches);
const environment = await startBenchEnvironment();
try {
  for (const [name, bench] of Object.entries(benches)) {
    if (selected.length === 0 || selected.includes(name)) await bench(environment);
  }
} finally {
  await environment.close();
}
process.exit(0);
