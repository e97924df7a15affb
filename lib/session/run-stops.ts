import type { Checkpointer } from "./checkpointer.ts";
import type { Clock, TimerHandle } from "./clock.ts";

/** What of a run's input arms its stops (a subset of `RunSessionInput`). */
export interface RunStopsInput {
  ports: { clock: Clock };
  signal: AbortSignal;
  yieldSignal?: AbortSignal;
  budgetMs?: number;
  checkpoint: { leaseSeconds: number };
}

/**
 * Arms what stops a running session from outside its stream: cancel, yield (a worker shutting down)
 * and the budget; and the heartbeat that renews the lease during long silences (a tool call), which
 * also learns first that another producer took the session. Returns what disarms them all.
 */
export function armRunStops(
  input: RunStopsInput,
  checkpointer: Pick<Checkpointer, "heartbeat">,
  stopWith: (reason: "cancel" | "budget" | "fenced") => void,
): () => void {
  const { clock } = input.ports;
  const onCancel = () => stopWith("cancel");
  const onYield = () => stopWith("budget");
  if (input.signal.aborted) onCancel();
  input.signal.addEventListener("abort", onCancel, { once: true });
  if (input.yieldSignal?.aborted) onYield();
  input.yieldSignal?.addEventListener("abort", onYield, { once: true });
  const budget = input.budgetMs === undefined ? undefined : clock.setTimeout(onYield, input.budgetMs);
  // Every third of the lease.
  const beatMs = Math.max(1000, (input.checkpoint.leaseSeconds * 1000) / 3);
  let beat: TimerHandle;
  const heartbeat = () => {
    beat = clock.setTimeout(heartbeat, beatMs);
    void checkpointer.heartbeat().then((result) => result === "fenced" && stopWith("fenced"));
  };
  beat = clock.setTimeout(heartbeat, beatMs);
  return () => {
    if (budget !== undefined) clock.clearTimeout(budget);
    clock.clearTimeout(beat);
    input.signal.removeEventListener("abort", onCancel);
    input.yieldSignal?.removeEventListener("abort", onYield);
  };
}
