// A local worker for the scale bench: scripts/worker.ts's runtime and claim loop, with each checkpoint
// write timed (from the runner's side: queue for a connection, round trip, commit) and each `log`
// broadcast traced (when each append of a watched session became durable, when each `log` send
// started and when Realtime answered it). The bench asks over IPC: "reset" clears the timings,
// "stats" answers `{ latencies, trace }` (ms; trace times are wall clock, comparable across processes).
import { createSql, type Sql } from "../lib/db/client.ts";
import { parseEnv } from "../lib/env.ts";
import { logError } from "../lib/log.ts";
import { createRealtimePublisher, loadSessionState, RealtimeBroadcaster } from "../lib/realtime/index.ts";
import { createRuntime } from "../lib/runtime/runtime.ts";
import type { SessionObserver } from "../lib/session/ports.ts";
import { startLocalWorker } from "../lib/session/worker.ts";
import { nowMs } from "./environment.ts";

/** Where a session's log ends after each append (watched or not yet known), and when it landed. */
export type AppendTrace = [sessionId: string, to: number, durableAt: number];
/** One `log` broadcast: its range, when its send started, when Realtime answered (202). */
export type LogTrace = [sessionId: string, from: number, to: number, sendAt: number, answeredAt: number];

export interface WorkerTrace {
  appends: AppendTrace[];
  logs: LogTrace[];
}

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

/** The product's broadcaster (createSessionBroadcaster's), its appends and `log` sends traced. */
function tracedBroadcaster(sql: Sql, env: ReturnType<typeof parseEnv>, trace: WorkerTrace): SessionObserver {
  const publisher = createRealtimePublisher(env);
  const broadcaster = new RealtimeBroadcaster({
    publish: async (topic, event, payload) => {
      const sendAt = nowMs();
      await publisher.publish(topic, event, payload);
      if (event !== "log") return;
      const { from, to } = payload as { from: number; to: number };
      trace.logs.push([topic.slice("session:".length), from, to, sendAt, nowMs()]);
    },
    forgetTopic: publisher.forget,
    loadSession: (sessionId) => loadSessionState(sql, sessionId),
    onError: logError,
  });
  return {
    appended(append) {
      if (append.watch?.session !== false) trace.appends.push([append.sessionId, append.to, nowMs()]);
      broadcaster.appended(append);
    },
    progress: (sessionId, progress, watch) => broadcaster.progress(sessionId, progress, watch),
    statusChanged: (sessionId) => broadcaster.statusChanged(sessionId),
  };
}

const env = parseEnv(process.env);
const sql = createSql(env.DATABASE_URL, env.DATABASE_POOL_MAX);
let latencies: number[] = [];
const trace: WorkerTrace = { appends: [], logs: [] };
const timed = timeCheckpointWrites(sql, (ms) => latencies.push(ms));
const runtime = createRuntime({ sql: timed, env, observers: [tracedBroadcaster(timed, env, trace)] });
const worker = await startLocalWorker({
  runtime,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 500),
});
process.on("message", (message) => {
  if (message === "reset") latencies = [];
  if (message === "stats") process.send?.({ latencies, trace });
});
process.on("SIGTERM", () => {
  void worker
    .stop()
    .then(() => sql.end({ timeout: 5 }))
    .then(() => process.exit(0));
});
console.log("scale worker started");
