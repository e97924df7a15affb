import { createSql } from "../lib/db/client.ts";
import { createPostgresTransitions } from "../lib/db/session-transitions.ts";
import { parseEnv } from "../lib/env.ts";
import { statusList, TERMINAL_STATUSES } from "../lib/lifecycle.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import {
  benchSession,
  fmt,
  postChat,
  printLatencyComparison,
  readRawPipe,
  readSsePieces,
  treeRssKiB,
} from "./support.ts";
import { latenciesOf, startRawPipe, startTimestampAgent, timestampAgentEnv } from "./timestamp-agent.ts";

export async function liveLatency(environment: BenchEnvironment): Promise<void> {
  const deltas = 2000;
  const agent = await startTimestampAgent({ deltas, perSecond: 400 });
  const pipe = await startRawPipe(agent.url);
  const app = await environment.startApp({
    ...timestampAgentEnv(agent.url),
    CHECKPOINT_MS: process.env.BENCH_CHECKPOINT_MS ?? "250",
  });
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    // Warm both paths once (JIT, connection pools), then measure.
    for (const measure of [false, false, true]) {
      const raw = await readRawPipe(pipe.url);
      const live = await readSsePieces(await postChat(app.url, token, "bench"), (event, data) =>
        event === "delta" ? (JSON.parse(data) as { text: string }).text : null,
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
      console.log(`\nLive path vs raw Node pipe (${deltas} deltas at 400/s, same agent, same run)`);
      printLatencyComparison(rawLatency, liveLatencyMs);
    }
  } finally {
    await app.stop();
    await pipe.close();
    await agent.close();
  }
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
    // Through the lifecycle, as any other writer of a session's status: fence out, then end cancelled.
    const transitions = createPostgresTransitions({ sql, observers: [], leaseSeconds: 30 });
    const running = await sql<{ id: string }[]>`
      select id from sessions where status not in (${sql.unsafe(statusList(TERMINAL_STATUSES))})`;
    for (const { id } of running) {
      const epoch = await transitions.fenceOut(id);
      if (epoch !== null)
        await transitions.finish({ sessionId: id, epoch, status: "cancelled", run: null, error: null });
    }
    await sql.end();
    await app.stop();
  }
}

export async function liveScale(environment: BenchEnvironment): Promise<void> {
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
  // A live chat longer than the live budget (default) goes to the background: its longest hold.
  const liveBudgetSeconds = parseEnv({}).LIVE_BUDGET_SECONDS;
  console.log(
    `\n${streams} concurrent idle live streams on one server process (${fmt(live.seconds, 1)} s to open them all)`,
  );
  console.log(
    `  server memory ${fmt(live.beforeMiB, 0)} → ${fmt(live.afterMiB, 0)} MiB: ${fmt(live.perConnectionKiB, 1)} KiB per additional idle live stream (budget < 64 KiB) ${live.perConnectionKiB < 64 ? "ok" : "OVER BUDGET"}; ` +
      `a ${liveBudgetSeconds} s live chat holds ${fmt((live.perConnectionKiB / 1024 / 1024) * liveBudgetSeconds, 3)} GB-seconds of it (Vercel Fluid: duration × memory added)`,
  );
  console.log(
    `  baseline, ${streams} idle readers of the stream endpoint (HTTP + SSE, no agent connection): ${fmt(readers.perConnectionKiB, 1)} KiB each; ratio ${fmt(live.perConnectionKiB / readers.perConnectionKiB, 2)}`,
  );
}
