import { createSql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import { Checkpointer } from "../lib/session/checkpointer.ts";
import type { BenchEnvironment } from "./environment.ts";
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
