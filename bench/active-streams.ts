import { signIn } from "../tests/support/api.ts";
import type { BenchEnvironment } from "./environment.ts";
import { fmt, printLatencyComparison, readSsePieces, spawnUrlPrinter, treeCpuSeconds } from "./support.ts";
import { latenciesOf, startRawPipe, timestampAgentEnv } from "./timestamp-agent.ts";

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
  const agent = await spawnUrlPrinter("timestamp-agent-main.ts", [String(deltas), String(perSecond)]);
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
