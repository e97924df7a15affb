import {
  type AgentConfig,
  type AgentCursor,
  type AgentEvent,
  type AgentRequest,
  cancelAgentRun,
  streamAgent,
} from "../agent/index.ts";
import type { Sql } from "../db/client.ts";
import {
  billRunAlone,
  type MeterReading,
  type MeterStep,
  meterRun,
  type RunBill,
  readSessionUsage,
  type SessionUsage,
} from "../db/run-billing.ts";
import { type FinishSessionInput, finishSession } from "../db/session-finish.ts";
import { appendCheckpoint } from "../db/session-log.ts";
import { logError } from "../log.ts";
import type { SessionObserver } from "../realtime/session-observer.ts";
import type { CheckpointStore } from "./checkpointer.ts";
import { type Clock, systemClock } from "./clock.ts";
import { recordSeamJoiner, type SeamJoinerWrite } from "./seam-joiner.ts";

export interface SessionProgressReport {
  stage: string | null;
  outputTokens: number;
  elapsedMs: number;
  /** True while the agent has not reported usage: `outputTokens` is then an estimate. */
  estimated: boolean;
  /** Credits the running agent run has used so far (metered while it runs; exact, a decimal). */
  credits?: number;
}

/**
 * Followers of a running session besides its live SSE (the Realtime broadcaster, metering, Trigger.dev
 * run metadata): told after each durable append, on progress, and after each committed status change.
 * The port is lib/realtime's `SessionObserver`; one that throws is logged and never stops the runner.
 */
export type { SessionObserver };

/** Metering and billing of a producer's run, and the session's billed totals (lib/db/run-billing). */
export interface RunBilling {
  /** One metering step: records the run's hold on the balance and says whether it must stop. */
  meter(step: MeterStep): Promise<MeterReading>;
  /** Bills a run that ends without ending the session (a handoff or a fence), in its own transaction. */
  billAlone(bill: RunBill): Promise<void>;
  /** The session's usage totals and cost over its billed runs (the live `done` event). */
  usage(sessionId: string): Promise<SessionUsage>;
}

/** Everything a runner does outside its own memory: the ports `runSession` receives. */
export interface RunPorts {
  /** Appends checkpoints to the session log (`appendCheckpoint` on Postgres, or an in-memory log). */
  log: CheckpointStore;
  /** Opens (or re-attaches) the agent's event stream. */
  streamAgent(
    agent: AgentConfig,
    request: AgentRequest,
    options: { signal: AbortSignal; cursor?: AgentCursor },
  ): AsyncIterable<AgentEvent>;
  /** Cancels the provider's run where the transport allows it. */
  cancelAgentRun(agent: AgentConfig, cursor: AgentCursor | undefined): Promise<void>;
  /** Ends the session (status, usage, final message, debit) if the epoch still holds it. */
  finish(input: FinishSessionInput): Promise<"ok" | "fenced">;
  /** Metering, the bill of an unfinished run and the final totals. */
  billing: RunBilling;
  /** Records the joiner put between the text before a seam and its continuation (if the epoch holds). */
  recordSeamJoiner(write: SeamJoinerWrite): Promise<void>;
  clock: Clock;
  observers: SessionObserver[];
}

/** The production ports on a postgres.js pool; `overrides` replaces any of them. */
export function postgresRunPorts(sql: Sql, overrides: Partial<RunPorts> = {}): RunPorts {
  return {
    log: (write) => appendCheckpoint(sql, write),
    streamAgent: (agent, request, options) => streamAgent(agent, request, options),
    cancelAgentRun,
    finish: (input) => finishSession(sql, input),
    billing: {
      meter: (step) => meterRun(sql, step),
      billAlone: (bill) => billRunAlone(sql, bill),
      usage: (sessionId) => readSessionUsage(sql, sessionId),
    },
    recordSeamJoiner: (write) => recordSeamJoiner(sql, write),
    clock: systemClock,
    observers: [],
    ...overrides,
  };
}

/** Calls `notify` on every observer; one that throws is logged, the others still run. */
export function notifyObservers(
  observers: readonly SessionObserver[],
  sessionId: string,
  notify: (observer: SessionObserver) => void,
): void {
  for (const observer of observers) {
    try {
      notify(observer);
    } catch (error) {
      logError("session observer failed", { sessionId, error });
    }
  }
}
