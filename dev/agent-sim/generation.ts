import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { SimSettings } from "./sim-directives.ts";
import { echoedPieces, simulatedPieces } from "./text.ts";

/** Keeps each delta frame small even when a fast rate makes many tokens due at once. */
const MAX_TOKENS_PER_FRAME = 8;
/** Timer granularity: faster rates coalesce tokens instead of waking up more often. */
const MIN_TICK_MS = 10;

export const TOOL_NAMES = ["web_search", "read_file", "run_code", "fetch_url"] as const;

/** What one run will produce, fixed before it starts. */
export interface GenerationPlan {
  pieces: string[];
  rate: number;
  /** Token positions (tokens emitted before it) of each tool stage, ascending. */
  stageAt: number[];
  stall?: { ms: number; afterToken: number };
  fault?: { kind: "drop" | "malformed" | "failed"; afterToken: number; upstreamTimeout?: true };
  /** True when `maxTokens` cut the text short of what `#sim tokens=` asked for. */
  truncated: boolean;
}

export function planGeneration(settings: SimSettings, maxTokens?: number): GenerationPlan {
  const echoed = settings.echo === undefined ? undefined : echoedPieces(settings.echo);
  const asked = echoed?.length ?? settings.tokens;
  const tokens = maxTokens === undefined ? asked : Math.min(asked, maxTokens);
  const stageAt = Array.from({ length: settings.stages }, (_, index) =>
    Math.round(((index + 1) * tokens) / (settings.stages + 1)),
  );
  const fault = settings.fault;
  return {
    pieces: echoed?.slice(0, tokens) ?? simulatedPieces(settings.seed, tokens),
    rate: settings.rate,
    stageAt,
    ...(settings.stall ? { stall: settings.stall } : {}),
    ...(fault && "afterToken" in fault ? { fault } : {}),
    truncated: tokens < asked,
  };
}

export type FaultKind = "drop" | "malformed" | "failed";

export interface GenerationSink {
  /** `tokens`: how many pieces the delta joins (several when the pace coalesces them). */
  text(delta: string, tokens: number): void | Promise<void>;
  stage(index: number, toolName: string): void | Promise<void>;
  /** Decides whether generation goes on after a fault (a background run outlives a dropped connection). */
  fault?(kind: FaultKind): "stop" | "continue";
}

export type GenerationEnd = "finished" | FaultKind | "aborted";

/**
 * Emits the plan's text at its pace with timers (never a busy loop), so one process can pace
 * thousands of runs. Token T of `stall`/`fault` means "after T tokens were emitted".
 */
export async function runGeneration(
  plan: GenerationPlan,
  sink: GenerationSink,
  signal: AbortSignal,
): Promise<GenerationEnd> {
  const total = plan.pieces.length;
  const intervalMs = plan.rate > 0 ? 1000 / plan.rate : 0;
  let emitted = 0;
  let nextStage = 0;
  let stalled = false;
  let faulted = false;
  let scheduleStart = performance.now();
  try {
    while (true) {
      while (nextStage < plan.stageAt.length && plan.stageAt[nextStage]! <= emitted) {
        await sink.stage(nextStage, TOOL_NAMES[nextStage % TOOL_NAMES.length]!);
        nextStage++;
      }
      if (plan.stall && !stalled && plan.stall.afterToken <= emitted) {
        stalled = true;
        await sleep(plan.stall.ms, undefined, { signal });
        // The pace resumes after the silence instead of bursting to catch up.
        scheduleStart = performance.now() - emitted * intervalMs;
      }
      if (plan.fault && !faulted && plan.fault.afterToken <= emitted) {
        faulted = true;
        if (sink.fault?.(plan.fault.kind) !== "continue") return plan.fault.kind;
      }
      if (emitted >= total) return "finished";
      if (signal.aborted) return "aborted";

      const boundary = Math.min(
        total,
        plan.stageAt[nextStage] ?? total,
        plan.stall && !stalled ? Math.max(plan.stall.afterToken, emitted + 1) : total,
        plan.fault && !faulted ? Math.max(plan.fault.afterToken, emitted + 1) : total,
      );
      let due = boundary;
      if (intervalMs > 0) {
        const elapsed = performance.now() - scheduleStart;
        due = Math.min(boundary, Math.floor(elapsed / intervalMs) + 1);
        if (due <= emitted) {
          const wait = emitted * intervalMs - elapsed;
          await sleep(Math.max(MIN_TICK_MS, wait), undefined, { signal });
          continue;
        }
      } else {
        due = Math.min(boundary, emitted + MAX_TOKENS_PER_FRAME);
      }
      while (emitted < due) {
        const end = Math.min(due, emitted + MAX_TOKENS_PER_FRAME);
        await sink.text(plan.pieces.slice(emitted, end).join(""), end - emitted);
        emitted = end;
      }
      // At full speed, give the other runs sharing this process a turn.
      if (intervalMs === 0) await nextTurn(undefined, { signal });
    }
  } catch (error) {
    if (signal.aborted) return "aborted";
    throw error;
  }
}
