import type { SseWriter } from "../http/sse.ts";

/** What one doctor stream does: timed ticks first, then a hold with only pings, then `done`. */
export interface DiagnosticPlan {
  /** How long ticks are sent (ms); 0 sends none. */
  durationMs: number;
  /** Time between ticks (ms). */
  tickMs: number;
  /** Seconds held after the ticks with nothing but the stream's `: ping` comments. */
  idleSeconds: number;
}

export interface DiagnosticClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: DiagnosticClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
};

/**
 * Writes the diagnostic stream of `GET /api/doctor/stream`: `tick` `{seq, sentAt}` every `tickMs` for
 * `durationMs` (each stamped with its send time, ms since the epoch, so a reader can tell bunched
 * arrivals from paced sends), then an idle hold, then `done` `{ticks, idleSeconds}`. The writer's own
 * heartbeat supplies the pings, exactly as on the session stream. No agent, no database, no credits.
 */
export async function writeDiagnosticStream(
  writer: SseWriter,
  plan: DiagnosticPlan,
  signal: AbortSignal,
  clock: DiagnosticClock = systemClock,
): Promise<void> {
  const start = clock.now();
  let seq = 0;
  while (plan.durationMs > 0 && !signal.aborted) {
    writer.send("tick", { seq, sentAt: clock.now() });
    seq += 1;
    // Ticks are scheduled against the start, so a slow tick does not stretch the whole stream.
    const next = start + seq * plan.tickMs;
    if (next - start > plan.durationMs) break;
    await clock.sleep(Math.max(0, next - clock.now()), signal);
  }
  if (plan.idleSeconds > 0) await clock.sleep(plan.idleSeconds * 1000, signal);
  if (!signal.aborted) writer.send("done", { ticks: seq, idleSeconds: plan.idleSeconds });
}
