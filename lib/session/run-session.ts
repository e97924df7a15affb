import { classifyAgentFailure, type RawAgentFailure } from "../agent/agent-failure.ts";
import {
  type AgentConfig,
  type AgentCursor,
  AgentHttpError,
  type AgentRequest,
  cancelAgentRun,
  isDetachable,
  streamAgent,
} from "../agent/index.ts";
import type { Sql } from "../db/client.ts";
import { readSessionUsage } from "../db/run-billing.ts";
import { type FinishSessionInput, finishSession, OUT_OF_CREDITS_CODE } from "../db/session-finish.ts";
import { type AppendCheckpoint, appendCheckpoint } from "../db/session-log.ts";
import { logError } from "../log.ts";
import type { SessionObserver } from "../realtime/session-observer.ts";
import { Checkpointer } from "./checkpointer.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { SessionFeed } from "./events.ts";
import { type MeterStop, startRunMetering } from "./metering.ts";
import { continuationSeam } from "./seam-joiner.ts";

export interface RunSessionInput {
  sql: Sql;
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
  feed?: SessionFeed;
  /** Called with every progress update (Trigger.dev mirrors it to run metadata). */
  onProgress?: (progress: { stage: string; outputTokens: number; elapsedMs: number }) => void;
  checkpoint: { intervalMs: number; maxBytes: number; leaseSeconds: number };
  /** Told of each durable append, progress and status change (Realtime broadcasting); never awaited. */
  observer?: SessionObserver;
  /** The durable text this run continues after a seam (a connection-bound agent's continuation). */
  continuesAfter?: string;
  /** When the session started, for `elapsedMs` in progress. */
  startedAt?: number;
  clock?: Clock;
}

export type RunOutcome =
  | { kind: "completed" | "failed" | "cancelled"; offset: number }
  | { kind: "fenced"; offset: number }
  | { kind: "budget"; offset: number; cursor: AgentCursor | undefined };

const MAX_REATTACH = 5;

type StopReason = "cancel" | "budget" | "fenced" | MeterStop;

/**
 * Runs one producer of a session: streams the agent, checkpoints the output, fans it out to live
 * subscribers and ends the session. The same code runs in the route handler, the local worker and
 * the Trigger.dev task. Only the holder of `epoch` can write; a stale runner stops at its next write.
 */
export async function runSession(input: RunSessionInput): Promise<RunOutcome> {
  const clock = input.clock ?? systemClock;
  const startedAt = input.startedAt ?? clock.now();
  // The caller just took the session (live start, background claim): its status changed.
  input.observer?.statusChanged(input.sessionId);
  const checkpointer = new Checkpointer({
    store: observedStore(input),
    sessionId: input.sessionId,
    epoch: input.epoch,
    startOffset: input.startOffset,
    intervalMs: input.checkpoint.intervalMs,
    maxBytes: input.checkpoint.maxBytes,
    leaseSeconds: input.checkpoint.leaseSeconds,
    clock,
    onRetry: (error, attempt) =>
      logError("checkpoint write failed; retrying", { sessionId: input.sessionId, attempt, error }),
  });
  const stop = new AbortController();
  const stopWith = (reason: StopReason) => {
    if (!stop.signal.aborted) stop.abort(reason);
  };
  const onCancel = () => stopWith("cancel");
  if (input.signal.aborted) onCancel();
  input.signal.addEventListener("abort", onCancel, { once: true });
  const onYield = () => stopWith("budget");
  if (input.yieldSignal?.aborted) onYield();
  input.yieldSignal?.addEventListener("abort", onYield, { once: true });
  const budgetTimer =
    input.budgetMs !== undefined ? setTimeout(() => stopWith("budget"), input.budgetMs) : undefined;
  const heartbeat = setInterval(
    () => {
      void checkpointer.heartbeat().then((result) => result === "fenced" && stopWith("fenced"));
    },
    Math.max(1000, (input.checkpoint.leaseSeconds * 1000) / 3),
  );

  let cursor = input.cursor;
  let stage = "";
  const reportProgress = (cursorNow?: AgentCursor) => {
    const { outputTokens, estimated } = metering.usage();
    const progress = {
      stage,
      outputTokens,
      estimated,
      elapsedMs: clock.now() - startedAt,
      credits: metering.credits,
    };
    checkpointer.push("", { cursor: cursorNow, progress });
    input.feed?.emit({ type: "progress", ...progress });
    input.onProgress?.(progress);
    input.observer?.progress(input.sessionId, progress);
  };
  const seam = continuationSeam({
    ...input,
    precedingText: input.continuesAfter,
    seamOffset: input.startOffset,
  });
  const metering = startRunMetering({
    ...input,
    reattached: input.cursor !== undefined,
    stop: stopWith,
    onStep: () => reportProgress(),
  });
  let terminal:
    | { kind: "completed" }
    | { kind: "failed"; code: string; message: string; status?: number }
    | undefined;

  try {
    for (let attempt = 0; terminal === undefined && !stop.signal.aborted; attempt++) {
      let retryable = false;
      try {
        for await (const event of streamAgent(input.agent, input.request, { signal: stop.signal, cursor })) {
          if (event.cursor) cursor = event.cursor;
          await metering.observe(event);
          if (event.type === "text") {
            const text = await seam.join(event.text);
            checkpointer.push(text, { cursor: event.cursor });
            if (checkpointer.fenced) stopWith("fenced");
            input.feed?.emit({ type: "delta", text, offset: checkpointer.offset });
            if (checkpointer.overLimit) await checkpointer.drained();
          } else if (event.type === "progress") {
            stage = event.stage;
            reportProgress(event.cursor);
          } else if (event.type === "usage") {
            if (event.cursor) checkpointer.push("", { cursor: event.cursor });
          } else if (event.type === "done") {
            terminal = { kind: "completed" };
          } else {
            retryable = event.retryable;
            terminal = { kind: "failed", code: event.code, message: event.message };
          }
        }
      } catch (error) {
        if (stop.signal.aborted) break;
        const http = error instanceof AgentHttpError ? error : undefined;
        retryable = http?.retryable ?? false;
        terminal = {
          kind: "failed",
          code: http?.code ?? "agent_unreachable",
          message: error instanceof Error ? error.message : String(error),
          ...(http ? { status: http.status } : {}),
        };
      }
      // A detachable run outlives our connection: re-attach at the cursor instead of failing.
      if (
        terminal?.kind === "failed" &&
        retryable &&
        isDetachable(input.agent) &&
        cursor &&
        attempt < MAX_REATTACH
      ) {
        terminal = undefined;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      } else if (terminal === undefined && !stop.signal.aborted) {
        terminal = {
          kind: "failed",
          code: "stream_truncated",
          message: "The agent stream ended without a result.",
        };
      }
    }
  } finally {
    clearTimeout(budgetTimer);
    clearInterval(heartbeat);
    input.signal.removeEventListener("abort", onCancel);
    input.yieldSignal?.removeEventListener("abort", onYield);
  }

  const reason = stop.signal.aborted ? (stop.signal.reason as StopReason) : undefined;
  const flushed = await checkpointer.flush();
  checkpointer.close();
  const offset = checkpointer.durableOffset;
  if (flushed === "fenced" || reason === "fenced" || reason === "budget") {
    await metering.billUnfinished();
    return reason === "budget" && flushed !== "fenced"
      ? { kind: "budget", offset, cursor }
      : { kind: "fenced", offset };
  }
  if (reason === "cancel") {
    await cancelAgentRun(input.agent, cursor).catch((error) =>
      logError("agent run cancel failed", { sessionId: input.sessionId, error }),
    );
    return finishWith(input, { kind: "cancelled", offset }, metering.bill("cancelled"), null);
  }
  if (reason === "out_of_credits" || reason === "over_cap") {
    await cancelAgentRun(input.agent, cursor).catch((error) =>
      logError("agent run cancel failed", { sessionId: input.sessionId, error }),
    );
    return finishWith(input, { kind: "failed", offset }, metering.bill("failed"), outOfCredits[reason]);
  }
  if (terminal?.kind === "completed")
    return finishWith(input, { kind: "completed", offset }, metering.bill("completed"), null);
  const error = terminal?.kind === "failed" ? blameAgent(input, terminal) : unknownError;
  return finishWith(input, { kind: "failed", offset }, metering.bill("failed"), error);
}

/** The user-facing failure of an agent run; the agent's own words go to the log only. */
function blameAgent(input: RunSessionInput, failure: RawAgentFailure): { code: string; message: string } {
  logError("agent run failed", {
    sessionId: input.sessionId,
    epoch: input.epoch,
    agent: input.agent.name,
    agentStatus: failure.status,
    agentCode: failure.code,
    agentMessage: failure.message,
  });
  return classifyAgentFailure(input.agent.name, failure);
}

const outOfCredits: Record<MeterStop, { code: string; message: string }> = {
  out_of_credits: {
    code: OUT_OF_CREDITS_CODE,
    message: "The session stopped: its cost reached your credit balance. The output so far is kept.",
  },
  over_cap: {
    code: OUT_OF_CREDITS_CODE,
    message: "The session stopped: its cost reached the credit limit set for it. The output so far is kept.",
  },
};

/**
 * The log store, telling the observer about each append once it is durable (a "duplicate" is a
 * retried write that had landed: readers drop repeats by offset).
 */
function observedStore(input: RunSessionInput) {
  return async (write: AppendCheckpoint) => {
    const result = await appendCheckpoint(input.sql, write);
    if (result !== "fenced" && write.text !== "") {
      const to = write.startOffset + Buffer.byteLength(write.text, "utf8");
      input.observer?.appended({
        sessionId: input.sessionId,
        from: write.startOffset,
        to,
        text: write.text,
        generation: input.epoch,
      });
    }
    return result;
  };
}

const unknownError = { code: "unknown", message: "The session stopped for an unknown reason." };

async function finishWith(
  input: RunSessionInput,
  outcome: { kind: "completed" | "failed" | "cancelled"; offset: number },
  run: FinishSessionInput["run"],
  error: { code: string; message: string } | null,
): Promise<RunOutcome> {
  const result = await finishSession(input.sql, {
    sessionId: input.sessionId,
    epoch: input.epoch,
    status: outcome.kind,
    run,
    error,
  });
  if (result === "fenced") return { kind: "fenced", offset: outcome.offset };
  input.observer?.statusChanged(input.sessionId);
  if (outcome.kind === "failed" && error) {
    input.feed?.emit({ type: "error", code: error.code, message: error.message, offset: outcome.offset });
  } else if (outcome.kind === "cancelled") {
    input.feed?.emit({
      type: "error",
      code: "cancelled",
      message: "The session was cancelled.",
      offset: outcome.offset,
    });
  } else {
    const totals = await readSessionUsage(input.sql, input.sessionId);
    input.feed?.emit({ type: "done", status: outcome.kind, offset: outcome.offset, ...totals });
  }
  return outcome;
}
