import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { signIn } from "../tests/support/api.ts";
import type { BenchEnvironment } from "./environment.ts";
import { fmt, printLatencyComparison, readSsePieces } from "./support.ts";
import { latenciesOf, startRawPipe, timestampAgentEnv } from "./timestamp-agent.ts";

const root = path.resolve(import.meta.dirname, "..");
const TICKS_PER_SECOND = 100;

/** The timestamp agent in its own process (so its timers do not share the bench's event loop). */
async function spawnAgent(deltas: number, perSecond: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    path.join(root, "node_modules", ".bin", "tsx"),
    [path.join(root, "bench", "timestamp-agent-main.ts"), String(deltas), String(perSecond)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim().split("\n")[0]!));
    child.once("exit", (code) => reject(new Error(`timestamp agent exited with ${code}`)));
  });
  return { url, child };
}

/** CPU seconds (user + system) used so far by a process and its descendants. */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (current: number) => {
    try {
      const stat = readFileSync(`/proc/${current}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
      const children = readFileSync(`/proc/${current}/task/${current}/children`, "utf8").trim();
      for (const child of children ? children.split(" ") : []) visit(Number(child));
    } catch {
      // The process ended while we looked.
    }
  };
  visit(pid);
  return ticks / TICKS_PER_SECOND;
}

type Read = { pieces: { text: string; at: number }[]; done: boolean };

/** Opens `count` streams at once and reads each to its end. */
async function readAll(
  count: number,
  open: () => Promise<Response>,
  doneEvent: (event?: string, data?: string) => boolean,
) {
  return Promise.all(
    Array.from({ length: count }, async (): Promise<Read> => {
      let done = false;
      try {
        const pieces = await readSsePieces(await open(), (event, data) => {
          if (doneEvent(event, data)) done = true;
          if (event === "delta") return (JSON.parse(data) as { text: string }).text;
          if (event === undefined && data !== "[DONE]")
            return JSON.parse(data).choices?.[0]?.delta?.content ?? null;
          return null;
        });
        return { pieces, done };
      } catch {
        return { pieces: [], done: false };
      }
    }),
  );
}

/**
 * 1,000 *active* live streams (BENCH_ACTIVE_STREAMS) at 20 tokens/s each on one `next start`, the agent
 * in its own process: added latency per delta against the same agent read through a raw Node pipe
 * (1,000 streams at once too), server CPU per stream, and how many streams end exactly (`done` and
 * every delta).
 */
export async function activeLiveStreams(environment: BenchEnvironment): Promise<void> {
  const streams = Number(process.env.BENCH_ACTIVE_STREAMS ?? 1000);
  const deltas = 200;
  const perSecond = 20;
  const agent = await spawnAgent(deltas, perSecond);
  const pipe = await startRawPipe(agent.url);
  const app = await environment.startApp({
    ...timestampAgentEnv(agent.url),
    DATABASE_POOL_MAX: "40",
  });
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const raw = await readAll(
      streams,
      () => fetch(pipe.url, { method: "POST", body: JSON.stringify({ stream: true }) }),
      (_event, data) => data === "[DONE]",
    );
    const cpuBefore = treeCpuSeconds(app.pid);
    const started = performance.now();
    const live = await readAll(
      streams,
      () =>
        fetch(`${app.url}/api/chat`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ message: "bench", mode: "live" }),
        }),
      (event) => event === "done",
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = treeCpuSeconds(app.pid) - cpuBefore;
    const rawLatency = raw.flatMap((read) => latenciesOf(read.pieces));
    const liveLatency = live.flatMap((read) => latenciesOf(read.pieces));
    const exact = live.filter((read) => read.done && latenciesOf(read.pieces).length === deltas).length;
    console.log(
      `\n${streams} active live streams at ${perSecond} tokens/s each (${deltas} deltas), agent in its own process`,
    );
    printLatencyComparison(rawLatency, liveLatency);
    console.log(
      `  server CPU: ${fmt(cpu, 1)} s over ${fmt(seconds, 1)} s = ${fmt((cpu / seconds / streams) * 100, 3)} % of a core per stream (${fmt((cpu * 1000) / streams, 1)} ms per stream)`,
    );
    console.log(`  finished exactly (done and all ${deltas} deltas): ${exact} of ${streams}`);
  } finally {
    await app.stop();
    await pipe.close();
    agent.child.kill("SIGTERM");
  }
}
