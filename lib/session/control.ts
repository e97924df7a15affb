import type { Sql } from "../db/client.ts";
import { decodeNotify } from "../db/notify-payloads.ts";
import { CONTROL_CHANNEL } from "../db/session-lease.ts";

interface Running {
  cancel: AbortController;
  /** Stop producing without ending the session: this process is going away (deploy, scale-in). */
  yield: AbortController;
}

const globalForControl = globalThis as unknown as {
  overtimeRunning?: Map<string, Running>;
  overtimeControlListening?: Promise<unknown>;
};

function running(): Map<string, Running> {
  globalForControl.overtimeRunning ??= new Map();
  return globalForControl.overtimeRunning;
}

/**
 * Registers a runner of this process so a cancel request (from any process, via NOTIFY on
 * CONTROL_CHANNEL) aborts it. Call `release` when the runner ends.
 */
export async function registerRunner(
  sql: Sql,
  sessionId: string,
): Promise<{ signal: AbortSignal; yieldSignal: AbortSignal; release(): void }> {
  globalForControl.overtimeControlListening ??= sql.listen(CONTROL_CHANNEL, (raw) => {
    const message = decodeNotify(CONTROL_CHANNEL, raw);
    if (message?.a === "cancel") running().get(message.s)?.cancel.abort("cancel");
  });
  await globalForControl.overtimeControlListening;
  const entry: Running = { cancel: new AbortController(), yield: new AbortController() };
  running().set(sessionId, entry);
  return {
    signal: entry.cancel.signal,
    yieldSignal: entry.yield.signal,
    release: () => {
      if (running().get(sessionId) === entry) running().delete(sessionId);
    },
  };
}

/** Sessions this process is producing right now. */
export function runningSessionIds(): string[] {
  return [...running().keys()];
}

/**
 * Asks every runner of this process to stop producing and hand its session on (live runners hand
 * off to the background; workers release their lease). Resolves once all of them have let go.
 */
export async function yieldAllRunners(timeoutMs = 20_000): Promise<void> {
  const entries = [...running().values()];
  for (const entry of entries) entry.yield.abort("shutdown");
  const deadline = Date.now() + timeoutMs;
  while (running().size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}
