import { createSql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import { Checkpointer } from "../lib/session/checkpointer.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { benchSession, fmt } from "./support.ts";

export async function checkpointRate(environment: BenchEnvironment): Promise<void> {
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
      // Writes while the stream ran; the final flush at its end is one more, outside the window.
      const perSecond = writes / seconds;
      await checkpointer.flush();
      console.log(
        `  ${String(tokensPerSecond).padStart(6)} tokens/s: ${fmt(perSecond, 1)} writes/s (bound 1/CHECKPOINT_MS = ${fmt(1000 / intervalMs, 1)}/s; naive per-token writes would be ${tokensPerSecond}/s, ratio ${fmt(tokensPerSecond / perSecond, 0)}x fewer)`,
      );
    }
  } finally {
    await sql.end();
  }
}

export async function resumeFirstByte(environment: BenchEnvironment): Promise<void> {
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
