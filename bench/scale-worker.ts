// A local worker for the scale bench: scripts/worker.ts's runtime and claim loop, with each checkpoint
// write timed (from the runner's side: queue for a connection, round trip, commit). The bench asks
// over IPC: "reset" clears the timings, "stats" answers `{ latencies }` in ms.
import { createSql, type Sql } from "../lib/db/client.ts";
import { parseEnv } from "../lib/env.ts";
import { createRuntime } from "../lib/runtime/runtime.ts";
import { startLocalWorker } from "../lib/session/worker.ts";

/** The pool, with every checkpoint statement (lib/db/session-log.ts `writeCheckpoint`) timed. */
function timeCheckpointWrites(sql: Sql, record: (ms: number) => void): Sql {
  return new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      const query = Reflect.apply(target, thisArg, args) as Promise<unknown>;
      const strings = args[0] as readonly string[] | undefined;
      if (Array.isArray(strings) && strings[0]?.includes("with advanced as")) {
        const begin = performance.now();
        query.then(
          () => record(performance.now() - begin),
          () => {},
        );
      }
      return query;
    },
  });
}

const env = parseEnv(process.env);
const sql = createSql(env.DATABASE_URL, env.DATABASE_POOL_MAX);
let latencies: number[] = [];
const runtime = createRuntime({ sql: timeCheckpointWrites(sql, (ms) => latencies.push(ms)), env });
const worker = await startLocalWorker({
  runtime,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 500),
});
process.on("message", (message) => {
  if (message === "reset") latencies = [];
  if (message === "stats") process.send?.({ latencies });
});
process.on("SIGTERM", () => {
  void worker
    .stop()
    .then(() => sql.end({ timeout: 5 }))
    .then(() => process.exit(0));
});
console.log("scale worker started");
