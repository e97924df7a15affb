import type { AgentConfig, AgentCursor, AgentRequest } from "../agent/index.ts";
import type { RunnerKind } from "../lifecycle.ts";
import type { SessionFeed } from "./events.ts";
import type { RunPorts } from "./ports.ts";

/** What one producer of a session (`runSession`) is given, and how it ended. */
export interface RunSessionInput {
  /** The log store, agent stream, finisher, billing, seam joiner, clock and observers (lib/session/ports.ts). */
  ports: RunPorts;
  sessionId: string;
  epoch: number;
  agent: AgentConfig;
  request: AgentRequest;
  /** Where the log ends now; output is appended from here. */
  startOffset: number;
  /** Re-attach a detachable agent run here instead of starting one. */
  cursor?: AgentCursor;
  /** Aborting it cancels the session (partial output kept). */
  signal: AbortSignal;
  /** Live runners stop producing after this long and return "budget". */
  budgetMs?: number;
  /** Aborting it stops producing without ending the session (returns "budget"): a worker shutting down. */
  yieldSignal?: AbortSignal;
  /** The event feed of the live SSE (live runners only); deltas reach it at most `checkpoint.maxBytes` ahead of the log. */
  feed?: SessionFeed;
  /** Checkpoint pace (CHECKPOINT_MS while watched, CHECKPOINT_IDLE_MS while not), row size, lease. */
  checkpoint: { intervalMs: number; idleIntervalMs?: number; maxBytes: number; leaseSeconds: number };
  /** The durable text this run continues after a seam (a connection-bound agent's continuation). */
  continuesAfter?: string;
  /** When the session started, for `elapsedMs` in progress. */
  startedAt?: number;
  /** Where this producer runs, recorded for readers (default: `live` with a feed, else unknown). */
  runner?: RunnerKind | null;
}

export type RunOutcome =
  | { kind: "completed" | "failed" | "cancelled"; offset: number }
  | { kind: "fenced"; offset: number }
  | { kind: "budget"; offset: number; cursor: AgentCursor | undefined };
