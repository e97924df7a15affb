// `npm run worker`: one local background worker process (the embedded alternative to Trigger.dev).
// SIGTERM/SIGINT: stop claiming, flush checkpoints, hand running sessions back, exit.
import { getSql } from "../lib/db/client.ts";
import { parseEnv } from "../lib/env.ts";
import { startNotificationSender } from "../lib/notify/local-sender.ts";
import { createRuntime } from "../lib/runtime/runtime.ts";
import { startLocalWorker } from "../lib/session/worker.ts";

// An unset AGENTS means the local simulator's agents (lib/env.ts); a bad one stops here, named.
let env: ReturnType<typeof parseEnv>;
try {
  env = parseEnv();
} catch (error) {
  console.error(`[worker] could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const sql = getSql(env);
// The process's one runtime (pool, settings, dispatcher, broadcaster, lifecycle).
const runtime = createRuntime({ sql, env });
const worker = await startLocalWorker({
  runtime,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 500),
});
// Locally the worker also sends the notifications (Trigger.dev's send-notification in production).
const sender = await startNotificationSender({ sql, env });

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await Promise.all([worker.stop(), sender.stop()]);
  await sql.end({ timeout: 5 });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
