import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { RealtimeMessageCounts } from "../dev/realtime/server.ts";
import { createSql, type Sql } from "../lib/db/client.ts";
import { encodeNotify } from "../lib/db/notify-payloads.ts";
import { readLogText } from "../lib/db/session-log.ts";
import { watchSession } from "../lib/db/session-watches.ts";
import { nowMs, percentile } from "./environment.ts";
import { scaleMessage, scaleText } from "./scale-agent.ts";
import { type FollowerLatency, followerLatency, type Received } from "./scale-latency.ts";
import type { WorkerTrace } from "./scale-worker.ts";
import { ALICE, aliceClient, benchSession, spawnUrlPrinter, treeCpuSeconds, treeRssKiB } from "./support.ts";
import { timestampAgentEnv } from "./timestamp-agent.ts";

const root = path.resolve(import.meta.dirname, "..");

/** What the harness runs on: the bench environment or a test stack. */
export interface ScaleStack {
  databaseUrl: string;
  supabaseUrl: string;
  realtime: { messageCounts(): RealtimeMessageCounts };
  /** Environment every worker process gets (database, Supabase, …). */
  env: Record<string, string>;
}

export interface ScaleOptions {
  sessions: number;
  /** This many sessions, spread evenly, are watched (watch mark + a supabase-js subscriber each). */
  watched: number;
  tokensPerSecond: number;
  /** How long each session streams. */
  seconds: number;
  workers: number;
}

export interface ScaleFigures {
  options: ScaleOptions;
  /** Sessions whose final log is not exactly the agent's text, or that did not complete. */
  mismatches: number;
  /** Unwatched sessions on whose topic a `log` message was published (must be 0). */
  unwatchedWithLog: number;
  outputBytes: number;
  /** All sessions running at once, measured over this many seconds. */
  windowSeconds: number;
  /** Messages/s as Supabase counts them (sent to Realtime + delivered to subscribers), in the window. */
  realtimePerSecond: number;
  /** The same over the whole run, from the first session created to the last finished. */
  realtimePerSecondWholeRun: number;
  /** Broadcasts published per second in the window, by event. */
  broadcastsPerSecond: Record<string, number>;
  commitsPerSecond: number;
  walBytesPerSecond: number;
  checkpointsPerSecond: number;
  checkpointMs: { p50: number; p99: number };
  /** Over the whole run, and for the tokens sent in the window (every session running). */
  followerMs: FollowerLatency;
  followerMsInWindow: FollowerLatency;
  storedBytesPerOutputByte: number;
  /** Worker processes together: CPU cores busy in the window, resident memory idle and loaded. */
  workerCpuCores: number;
  /** The machine in the window: its cores, 1-minute load average, cores busy (ours: this process tree). */
  machine: { cores: number; loadAverage: number; busyCores: number; oursCores: number };
  workerRssMiB: { idle: number; loaded: number };
  wholeRunSeconds: number;
  /** From the first session released to the window's start (all started, or the first finished). */
  rampSeconds: number;
  /** Sessions running at once when the window opened. */
  concurrent: number;
}

interface Worker {
  child: ChildProcess;
  stats(): Promise<{ latencies: number[]; trace: WorkerTrace }>;
  reset(): void;
}

/**
 * The scale harness (issue 19 Figures): `sessions` background sessions at `tokensPerSecond` across
 * `workers` local worker processes (the product's claim loop and runners), the first `watched` of
 * them watched (POST /watch's mark, renewed every 30 s) and followed by a supabase-js subscriber.
 * Returns the correctness figures (exact text, no `log` for unwatched sessions) and the costs.
 */
export async function runScale(stack: ScaleStack, options: ScaleOptions): Promise<ScaleFigures> {
  const sql = createSql(stack.databaseUrl, 8);
  const agent = await spawnUrlPrinter("scale-agent-main.ts");
  const tokens = options.tokensPerSecond * options.seconds;
  const workers: Worker[] = [];
  const followers: SupabaseClient[] = [];
  let renew: ReturnType<typeof setInterval> | undefined;
  try {
    const storedBefore = await storedBytes(sql);
    const workerEnv = {
      ...stack.env,
      ...timestampAgentEnv(agent.url),
      WORKER_CONCURRENCY: String(Math.ceil(options.sessions / options.workers)),
      DATABASE_POOL_MAX: "20",
    };
    for (let i = 0; i < options.workers; i++) workers.push(await startWorker(workerEnv));
    const rssIdle = workers.reduce((sum, worker) => sum + treeRssKiB(worker.child.pid!), 0);
    const begin = performance.now();
    const countsAtStart = stack.realtime.messageCounts().quota;
    const received: Received[] = [];
    const ids = await createSessions(sql, options, tokens, async (id, seed) => {
      await watchSession(sql, id, ALICE);
      followers.push(await follow(stack.supabaseUrl, id, seed, received));
    });
    const watched = new Set(watchedSeeds(options));
    const watchedIds = ids.filter((_, seed) => watched.has(seed));
    renew = setInterval(() => {
      for (const id of watchedIds) void watchSession(sql, id, ALICE).catch(() => {});
    }, 30_000);
    // The window opens once every session runs, or at the first to finish if the workers could not
    // start them all within one session's length (then fewer ran at once: `concurrent` says how many).
    await until(
      async () => {
        const { started, done } = await progress(sql, ids);
        return started === ids.length || done > 0;
      },
      options.seconds * 4000 + 120_000,
    );
    const rampSeconds = (performance.now() - begin) / 1000;
    const { started, done } = await progress(sql, ids);
    const window = await measureWindow(sql, stack, workers, Math.max(2, Math.min(20, options.seconds / 2)));
    await until(async () => (await progress(sql, ids)).done === ids.length, options.seconds * 4000 + 300_000);
    const wholeRunSeconds = (performance.now() - begin) / 1000;
    const counts = stack.realtime.messageCounts();
    const sent = await sentBySeed(agent.url, received);
    const traces = (await Promise.all(workers.map((worker) => worker.stats()))).map((stats) => stats.trace);
    const follower = {
      followerMs: followerLatency(sent, received, ids, traces),
      followerMsInWindow: followerLatency(sent, received, ids, traces, window.span),
    };
    const expected = ids.map((_, seed) => scaleText(seed, tokens));
    const outputBytes = expected.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    return {
      options,
      mismatches: await countMismatches(sql, ids, expected),
      unwatchedWithLog: ids.filter(
        (id, seed) => !watched.has(seed) && counts.publishedOn("log", `private:session:${id}`),
      ).length,
      outputBytes,
      ...window,
      workerRssMiB: { idle: rssIdle / 1024, loaded: window.workerRssKiB / 1024 },
      realtimePerSecondWholeRun: (counts.quota - countsAtStart) / wholeRunSeconds,
      ...follower,
      storedBytesPerOutputByte: ((await storedBytes(sql)) - storedBefore) / outputBytes,
      wholeRunSeconds,
      rampSeconds,
      concurrent: started - done,
    };
  } finally {
    clearInterval(renew);
    for (const client of followers) await client.removeAllChannels();
    await Promise.all(workers.map((worker) => stopChild(worker.child)));
    await stopChild(agent.child);
    await sql.end();
  }
}

/** Every `stride`-th session is watched, so the watched ones start spread over the ramp. */
export function watchedSeeds(options: Pick<ScaleOptions, "sessions" | "watched">): number[] {
  if (options.watched === 0) return [];
  const stride = Math.floor(options.sessions / options.watched);
  return Array.from({ length: options.watched }, (_, i) => i * stride);
}

/**
 * Creates the sessions eight at a time, held by a placeholder lease so no worker starts one early,
 * follows the watched ones, then lets the workers claim them all at once.
 */
async function createSessions(
  sql: Sql,
  options: ScaleOptions,
  tokens: number,
  onWatched: (id: string, seed: number) => Promise<void>,
): Promise<string[]> {
  const ids: string[] = [];
  const create = async (seed: number) => {
    const started = await benchSession(sql, {
      message: scaleMessage(seed, tokens, options.tokensPerSecond),
      agent: "bench",
      title: `scale ${seed}`,
      mode: "background",
      status: "background",
      runner: null,
      leaseOwner: "scale-hold",
      leaseSeconds: 3600,
    });
    ids[seed] = started.sessionId;
  };
  for (let seed = 0; seed < options.sessions; seed += 8) {
    const batch = Array.from({ length: Math.min(8, options.sessions - seed) }, (_, i) => create(seed + i));
    await Promise.all(batch);
  }
  for (const seed of watchedSeeds(options)) await onWatched(ids[seed]!, seed);
  await sql`update sessions set lease_owner = null, lease_expires_at = null where id = any(${ids})`;
  await sql`select pg_notify('session_dispatch', ${encodeNotify("session_dispatch", { s: "scale", e: 0 })})`;
  return ids;
}

/** A supabase-js client (a tab) following one session's `log` messages. */
async function follow(supabaseUrl: string, sessionId: string, seed: number, received: Received[]) {
  const client = await aliceClient(supabaseUrl);
  await new Promise<void>((resolve, reject) => {
    client
      .channel(`session:${sessionId}`, { config: { private: true } })
      .on("broadcast", { event: "log" }, ({ payload }) => {
        received.push({ seed, from: payload.from as number, to: payload.to as number, at: nowMs() });
      })
      .subscribe((status) => {
        if (status === "SUBSCRIBED") resolve();
        if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(new Error(`follow: ${status}`));
      });
  });
  return client;
}

/** When the agent sent each token of the followed sessions: `[endByteOffset, sentAtMs][]` by seed. */
async function sentBySeed(agentUrl: string, received: Received[]): Promise<Map<number, [number, number][]>> {
  const sent = new Map<number, [number, number][]>();
  for (const seed of new Set(received.map((message) => message.seed))) {
    const response = await fetch(`${agentUrl}/sent?seed=${seed}`);
    sent.set(seed, (await response.json()) as [number, number][]);
  }
  return sent;
}

/** Costs while every session runs: commits, WAL, Realtime, checkpoint writes, worker CPU and memory. */
async function measureWindow(sql: Sql, stack: ScaleStack, workers: Worker[], seconds: number) {
  const database = async () => {
    const [row] = await sql<{ commits: number; wal: number }[]>`
      select xact_commit::int8 as commits, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8 as wal
      from pg_stat_database where datname = current_database()`;
    return row!;
  };
  const cpu = () => workers.reduce((sum, worker) => sum + treeCpuSeconds(worker.child.pid!), 0);
  for (const worker of workers) worker.reset();
  const [db0, rt0, cpu0, t0] = [await database(), stack.realtime.messageCounts(), cpu(), performance.now()];
  const [machine0, ours0] = [machineBusySeconds(), treeCpuSeconds(process.pid)];
  const spanStart = nowMs();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const [db1, rt1, cpu1] = [await database(), stack.realtime.messageCounts(), cpu()];
  const [machine1, ours1] = [machineBusySeconds(), treeCpuSeconds(process.pid)];
  const elapsed = (performance.now() - t0) / 1000;
  const latencies = (await Promise.all(workers.map((worker) => worker.stats()))).flatMap(
    (stats) => stats.latencies,
  );
  const broadcastsPerSecond = Object.fromEntries(
    Object.entries(rt1.published).map(([event, n]) => [event, (n - (rt0.published[event] ?? 0)) / elapsed]),
  );
  return {
    windowSeconds: elapsed,
    span: [spanStart, nowMs()] as [number, number],
    realtimePerSecond: (rt1.quota - rt0.quota) / elapsed,
    broadcastsPerSecond,
    commitsPerSecond: (db1.commits - db0.commits) / elapsed,
    walBytesPerSecond: (db1.wal - db0.wal) / elapsed,
    checkpointsPerSecond: latencies.length / elapsed,
    checkpointMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    workerCpuCores: (cpu1 - cpu0) / elapsed,
    machine: {
      cores: availableParallelism(),
      loadAverage: loadavg()[0]!,
      busyCores: (machine1 - machine0) / elapsed,
      oursCores: (ours1 - ours0) / elapsed,
    },
    workerRssKiB: workers.reduce((sum, worker) => sum + treeRssKiB(worker.child.pid!), 0),
  };
}

/** CPU seconds every core of the machine spent busy since boot (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return (total - fields[3]! - (fields[4] ?? 0)) / 100;
}

async function countMismatches(sql: Sql, ids: string[], expected: string[]): Promise<number> {
  const rows = await sql<
    { id: string; status: string }[]
  >`select id, status from sessions where id = any(${ids})`;
  const completed = new Set(rows.filter((row) => row.status === "completed").map((row) => row.id));
  let mismatches = 0;
  for (const [seed, id] of ids.entries()) {
    if (!completed.has(id) || (await readLogText(sql, id)) !== expected[seed]) mismatches++;
  }
  return mismatches;
}

/** Sessions a worker has started (running or done), and those done. */
async function progress(sql: Sql, ids: string[]): Promise<{ started: number; done: number }> {
  const [row] = await sql<{ started: number; done: number }[]>`
    select count(*) filter (where runner = 'worker' or finished_at is not null)::int as started,
           count(*) filter (where finished_at is not null)::int as done
    from sessions where id = any(${ids})`;
  return row!;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`scale: condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Bytes the log and the messages take (VACUUM FULL first: live rows only). */
export async function storedBytes(sql: Sql): Promise<number> {
  await sql`vacuum full session_chunks`;
  await sql`vacuum full messages`;
  const [row] = await sql<{ bytes: number }[]>`
    select (pg_total_relation_size('session_chunks') + pg_total_relation_size('messages'))::int8 as bytes`;
  return row!.bytes;
}

/** bench/scale-worker.ts in its own process, asked for its checkpoint timings over IPC. */
async function startWorker(env: Record<string, string>): Promise<Worker> {
  // SCALE_WORKER_NODE_ARGS adds Node flags to the workers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.SCALE_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const script = path.join(root, "bench", "scale-worker.ts");
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("scale worker started")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`scale worker exited with ${code}`)));
  });
  return {
    child,
    reset: () => child.send("reset"),
    stats: () =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve(message as { latencies: number[]; trace: WorkerTrace }));
        child.send("stats");
      }),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
