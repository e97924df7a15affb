import type { SessionMode } from "../lifecycle.ts";

/** The fewest finished sessions of an agent before its history is trusted for routing. */
export const MIN_HISTORY = 3;

/**
 * Where a new session runs. Detachable agents stream live and hand off losslessly at the budget, so
 * `auto` keeps them live. A connection-bound agent cannot be handed off mid-run, so in `auto` it goes
 * to the background from the start when its recent sessions (75th percentile) outlived the budget.
 */
export function chooseRunner(input: {
  mode: SessionMode;
  detachable: boolean;
  recentDurationsSeconds: number[];
  budgetSeconds: number;
}): "live" | "background" {
  if (input.mode !== "auto") return input.mode;
  if (input.detachable) return "live";
  if (input.recentDurationsSeconds.length < MIN_HISTORY) return "live";
  const sorted = [...input.recentDurationsSeconds].sort((a, b) => a - b);
  const p75 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.75))]!;
  return p75 >= input.budgetSeconds ? "background" : "live";
}
