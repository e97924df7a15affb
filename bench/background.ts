import { createSql } from "../lib/db/client.ts";
import { sendNotify } from "../lib/db/notify-payloads.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { benchSession, fmt, postChat, sseEvents } from "./support.ts";

export async function handoffGap(environment: BenchEnvironment): Promise<void> {
  const app = await environment.startApp({ LIVE_BUDGET_SECONDS: "2" });
  await environment.startWorker();
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const gaps: number[] = [];
    const deltaGaps: number[] = [];
    for (let run = 0; run < 5; run++) {
      const response = await postChat(
        app.url,
        token,
        `#sim tokens=2000 rate=200 seed=gap${run}`,
        undefined,
        "sim-openai-bg",
      );
      let lastLive = 0;
      let previous = 0;
      let sessionId = "";
      let handoffOffset = 0;
      for await (const value of sseEvents(response)) {
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
      for await (const value of sseEvents(stream)) {
        if (value.event === "delta") {
          gaps.push(performance.now() - lastLive);
          break;
        }
      }
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

export async function workerCapacity(environment: BenchEnvironment): Promise<void> {
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
      await sendNotify(sql, "session_dispatch", { s: "bench", e: 0 });
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
