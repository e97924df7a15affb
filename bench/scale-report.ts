import { createSql, type Sql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import type { BenchEnvironment } from "./environment.ts";
import { runScale, type ScaleFigures, type ScaleOptions } from "./scale.ts";
import { benchSession, fmt } from "./support.ts";

const verdict = (ok: boolean) => (ok ? "ok" : "OVER BUDGET");

/**
 * The scale run's size: SCALE_SESSIONS (1000), SCALE_WATCHED (50), SCALE_SECONDS (60), SCALE_WORKERS
 * (2); SCALE_RUNS (watched,unwatched,notify) which of the three parts run.
 */
export function scaleOptionsFromEnv(env: Record<string, string | undefined> = process.env): ScaleOptions {
  const sessions = Number(env.SCALE_SESSIONS ?? 1000);
  return {
    sessions,
    watched: Math.min(sessions, Number(env.SCALE_WATCHED ?? 50)),
    tokensPerSecond: 20,
    seconds: Number(env.SCALE_SECONDS ?? 60),
    workers: Number(env.SCALE_WORKERS ?? 2),
  };
}

/**
 * `npm run bench -- scale` (issue 19 Figures): the watched run, the same run with nobody watching,
 * and the NOTIFY's share of commit throughput; each figure with its budget beside it.
 */
export async function scaleBench(environment: BenchEnvironment): Promise<void> {
  const options = scaleOptionsFromEnv();
  const stack = { ...environment, env: environment.baseEnv };
  // SCALE_RUNS picks some of the three (comma-separated), e.g. `watched` for a quick look at latency.
  const runs = (process.env.SCALE_RUNS ?? "watched,unwatched,notify").split(",");
  if (runs.includes("watched")) printWatched(await runScale(stack, options));
  if (runs.includes("unwatched")) printUnwatched(await runScale(stack, { ...options, watched: 0 }));
  if (runs.includes("notify")) await notifyCost(environment, options.sessions);
}

function printHeader(figures: ScaleFigures): void {
  const { options } = figures;
  console.log(
    `\nScale: ${options.sessions} background sessions at ${options.tokensPerSecond} tokens/s for ${options.seconds} s, ` +
      `${options.watched} watched by supabase-js subscribers, ${options.workers} local worker processes ` +
      `(whole run ${fmt(figures.wholeRunSeconds, 0)} s)`,
  );
  console.log(
    `  costs over a ${fmt(figures.windowSeconds, 1)} s window with ${figures.concurrent} sessions running at once ` +
      `(${figures.concurrent === options.sessions ? "all" : "NOT all: the workers had not started the rest when the first finished"}; ` +
      `${fmt(figures.rampSeconds, 0)} s after release); per-session figures below divide by ${figures.concurrent}`,
  );
  console.log(
    `  final texts exact: ${options.sessions - figures.mismatches}/${options.sessions} (mismatches ${figures.mismatches}, budget 0) ${verdict(figures.mismatches === 0)}`,
  );
  console.log(
    `  unwatched sessions that sent a log message: ${figures.unwatchedWithLog} (budget 0) ${verdict(figures.unwatchedWithLog === 0)}`,
  );
  const events = Object.entries(figures.broadcastsPerSecond)
    .map(([event, rate]) => `${event} ${fmt(rate, 1)}`)
    .join(", ");
  console.log(`  broadcasts/s by event: ${events || "none"}`);
}

function printCosts(figures: ScaleFigures): void {
  console.log(
    `  database commits/s: ${fmt(figures.commitsPerSecond, 0)} (budget ≤ 1,500) ${verdict(figures.commitsPerSecond <= 1500)}; ` +
      `WAL ${fmt(figures.walBytesPerSecond / 1024, 0)} KiB/s (${fmt(figures.walBytesPerSecond / figures.concurrent, 0)} B/s per session)`,
  );
  console.log(
    `  checkpoint writes: ${fmt(figures.checkpointsPerSecond, 0)}/s, latency p50 ${fmt(figures.checkpointMs.p50, 1)} ms, p99 ${fmt(figures.checkpointMs.p99, 1)} ms (no budget)`,
  );
  console.log(
    `  stored bytes per output byte after compaction: ${fmt(figures.storedBytesPerOutputByte, 3)} (budget ≤ 1.2) ${verdict(figures.storedBytesPerOutputByte <= 1.2)} (${fmt(figures.outputBytes / 1024 / 1024, 1)} MiB of output)`,
  );
  const { machine } = figures;
  console.log(
    `  machine in the window: ${machine.cores} cores, load average ${fmt(machine.loadAverage, 1)}; CPU busy ${fmt(machine.busyCores, 2)} cores, ` +
      `of which this bench's processes (workers, agent, Postgres, Realtime stand-in, followers) ${fmt(machine.oursCores, 2)}` +
      `${machine.busyCores > machine.cores * 0.9 ? " — SATURATED: latencies here are the machine's, not the design's" : ""}`,
  );
  const perSession = ((figures.workerRssMiB.loaded - figures.workerRssMiB.idle) * 1024) / figures.concurrent;
  console.log(
    `  workers: CPU ${fmt(figures.workerCpuCores, 2)} cores (${fmt((figures.workerCpuCores * 1000) / figures.concurrent, 2)} ms CPU per session-second); ` +
      `memory ${fmt(figures.workerRssMiB.idle, 0)} → ${fmt(figures.workerRssMiB.loaded, 0)} MiB (${fmt(perSession, 1)} KiB per session)`,
  );
}

function printWatched(figures: ScaleFigures): void {
  printHeader(figures);
  console.log(
    `  Realtime messages/s (sent + delivered, as Supabase counts): ${fmt(figures.realtimePerSecond, 0)} (budget ≤ 300; Pro quota 500) ${verdict(figures.realtimePerSecond <= 300)}; whole run ${fmt(figures.realtimePerSecondWholeRun, 0)}`,
  );
  const { p50, p99, samples } = figures.followerMsInWindow;
  const whole = figures.followerMs;
  console.log(
    `  watched follower latency, agent send → supabase-js subscriber, in the window: p50 ${fmt(p50, 1)} ms (budget ≤ 100) ${verdict(p50 <= 100)}, ` +
      `p99 ${fmt(p99, 1)} ms (budget ≤ 300) ${verdict(p99 <= 300)} (${samples} tokens); ` +
      `whole run with ramp and ends: p50 ${fmt(whole.p50, 1)} ms ${verdict(whole.p50 <= 100)}, p99 ${fmt(whole.p99, 1)} ms ${verdict(whole.p99 <= 300)} (${whole.samples} tokens)`,
  );
  const { durable, queued, answered, delivered } = figures.followerMsInWindow.stages;
  const stage = (name: string, q: { p50: number; p99: number }) =>
    `${name} ${fmt(q.p50, 1)} / ${fmt(q.p99, 1)}`;
  console.log(
    `    where it goes in the window, p50 / p99 ms (no budget of their own): ${stage("agent send → durable", durable)}; ` +
      `${stage("durable → broadcast sent", queued)}; ${stage("sent → Realtime's 202", answered)}; ` +
      `${stage("sent → subscriber", delivered)}`,
  );
  printCosts(figures);
}

function printUnwatched(figures: ScaleFigures): void {
  printHeader(figures);
  const per10 = (rate: number) => (rate * 10) / figures.options.sessions;
  const per10Window = (figures.realtimePerSecond * 10) / figures.concurrent;
  console.log(
    `  Realtime messages/s, nobody watching: whole run ${fmt(figures.realtimePerSecondWholeRun, 1)} = ${fmt(per10(figures.realtimePerSecondWholeRun), 2)} per 10 sessions ` +
      `(budget ≤ 1 per 10 sessions) ${verdict(per10(figures.realtimePerSecondWholeRun) <= 1)}; in the window ${fmt(figures.realtimePerSecond, 1)} = ${fmt(per10Window, 2)} per 10 running sessions`,
  );
  printCosts(figures);
}

/**
 * Issue 19 point 6: commit throughput of checkpoint writes with and without their NOTIFY. 32 writers
 * append to `sessions` sessions as fast as they can for 8 s, once with every session listened to
 * (each write NOTIFYs, as before) and once with none (the product's default for unread sessions).
 */
export async function notifyCost(environment: BenchEnvironment, sessions: number): Promise<void> {
  const writers = 32;
  const sql = createSql(environment.databaseUrl, writers + 2);
  const listener = await sql.listen("session_log", () => {});
  try {
    const started = [];
    for (let i = 0; i < sessions; i++)
      started.push(await benchSession(sql, { status: "background", runner: "worker" }));
    const ids = started.map((session) => session.sessionId);
    const offsets = new Map(ids.map((id) => [id, 0]));
    const rates: Record<string, number> = {};
    for (const listened of [true, false, true, false]) {
      await sql`update sessions set listened_until = ${listened ? sql`now() + interval '1 hour'` : null}
                where id = any(${ids})`;
      const rate = await appendsPerSecond(sql, started, offsets, writers, 8);
      const name = listened ? "with" : "without";
      rates[name] = Math.max(rates[name] ?? 0, rate);
    }
    const cost = 1 - rates.with! / rates.without!;
    console.log(
      `\nNOTIFY per checkpoint write (${writers} writers, ${sessions} sessions, 8 s each, best of 2): ` +
        `${fmt(rates.with!, 0)} commits/s with, ${fmt(rates.without!, 0)} without: it costs ${fmt(cost * 100, 0)} % ` +
        `of commit throughput (threshold 10 %); checkpoint writes now NOTIFY only sessions a process listens to`,
    );
  } finally {
    await listener.unlisten();
    await sql.end();
  }
}

async function appendsPerSecond(
  sql: Sql,
  sessions: { sessionId: string; epoch: number }[],
  offsets: Map<string, number>,
  writers: number,
  seconds: number,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let appends = 0;
  const text = "tök3n tök3n tök3n tök3n tök3n tök3n ";
  // Each writer owns every `writers`-th session: one write in flight per session, as with runners.
  const owned = Array.from({ length: Math.min(writers, sessions.length) }, (_, writer) =>
    sessions.filter((_session, index) => index % writers === writer),
  );
  await Promise.all(
    owned.map(async (mine) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const { sessionId, epoch } = mine[i % mine.length]!;
        const startOffset = offsets.get(sessionId)!;
        if ((await appendCheckpoint(sql, { sessionId, epoch, startOffset, text, leaseSeconds: 60 })) !== "ok")
          throw new Error("notify bench: append refused");
        offsets.set(sessionId, startOffset + Buffer.byteLength(text));
        appends++;
      }
    }),
  );
  return appends / seconds;
}
