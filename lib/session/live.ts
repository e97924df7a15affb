import { type AgentConfig, isDetachable } from "../agent/index.ts";
import type { Sql } from "../db/client.ts";
import { finishSession, markInterrupted } from "../db/session-finish.ts";
import { handOffToBackground } from "../db/session-lease.ts";
import { getSession } from "../db/sessions.ts";
import type { Env } from "../env.ts";
import type { BackgroundDispatcher } from "../jobs/dispatch.ts";
import { logError } from "../log.ts";
import { dispatchSessionNotifications } from "../notify/dispatch.ts";
import { sessionBroadcaster } from "../realtime/index.ts";
import { buildAgentRequest } from "./agent-request.ts";
import type { SessionFeed } from "./events.ts";
import { postgresRunPorts, type SessionObserver } from "./run-ports.ts";
import { runSession } from "./run-session.ts";
import { sessionRuntime } from "./runtime.ts";

/** The lifecycle steps a live runner takes, each against Postgres unless a test scripts a race. */
export interface LiveSteps {
  markInterrupted: typeof markInterrupted;
  handOffToBackground: typeof handOffToBackground;
  finishSession: typeof finishSession;
}

const postgresSteps: LiveSteps = { markInterrupted, handOffToBackground, finishSession };

export interface LiveRunInput {
  sql: Sql;
  env: Env;
  dispatcher: BackgroundDispatcher;
  sessionId: string;
  userId: string;
  epoch: number;
  agent: AgentConfig;
  feed: SessionFeed;
  steps?: Partial<LiveSteps>;
  /** Followers of the run besides the client's SSE (Realtime, metering). */
  observers?: SessionObserver[];
}

const FAILED_ON_OUR_SIDE = { code: "internal", message: "The session failed on our side." } as const;

/**
 * The live runner of POST /api/chat. It is independent of the HTTP response: the client's SSE is one
 * subscriber of `feed`, and a disconnect does not stop it. At LIVE_BUDGET_SECONDS it hands off.
 *
 * Invariant: whatever happens, `feed` ends with `done`, `error` (with a code) or `handoff`, so no
 * client stream is left open until the platform kills it.
 */
export async function runLiveSession(input: LiveRunInput): Promise<void> {
  const steps = { ...postgresSteps, ...input.steps };
  let offset: number | undefined;
  try {
    const produced = await produceLive(input, steps);
    offset = produced?.offset;
    if (produced?.kind === "budget") await handOff(input, steps, produced.offset);
    // Ended here: a client that left (or credits that ran out) may have enqueued notifications.
    else if (produced && produced.kind !== "fenced")
      await dispatchSessionNotifications(input.sql, input.env, input.sessionId);
  } catch (error) {
    logError("live runner failed", { sessionId: input.sessionId, userId: input.userId, error });
    await failLive(input, steps, offset);
  } finally {
    // Paths that found the session taken (a race lost at the budget, fenced at start) say so.
    input.feed.emit({ type: "handoff", status: "background", offset: offset ?? 0 });
  }
}

/** Streams the agent into the log; returns how production stopped (or undefined: no such session). */
async function produceLive(input: LiveRunInput, steps: LiveSteps) {
  const { sql, env } = input;
  const session = await getSession(sql, input.sessionId);
  if (!session) {
    input.feed.emit({ type: "error", code: "not_found:session", message: "The session does not exist." });
    return undefined;
  }
  const { request } = await buildAgentRequest(sql, session, { continuation: false });
  const control = await sessionRuntime(sql).runners.register(input.sessionId);
  try {
    return await runSession({
      ports: postgresRunPorts(sql, {
        finish: (finishing) => steps.finishSession(sql, finishing),
        observers: [sessionBroadcaster({ sql, env }), ...(input.observers ?? [])],
      }),
      sessionId: input.sessionId,
      epoch: input.epoch,
      agent: input.agent,
      request,
      startOffset: session.durableOffset,
      signal: control.signal,
      // The process shutting down hands the session off exactly as reaching the budget does.
      yieldSignal: control.yieldSignal,
      budgetMs: env.LIVE_BUDGET_SECONDS * 1000,
      feed: input.feed,
      checkpoint: {
        intervalMs: env.CHECKPOINT_MS,
        maxBytes: env.CHECKPOINT_BYTES,
        leaseSeconds: env.LEASE_SECONDS,
      },
      startedAt: session.startedAt?.getTime(),
    });
  } finally {
    control.release();
  }
}

/** The runner failed on our side: end the session failed if we still own it, and tell the client. */
async function failLive(input: LiveRunInput, steps: LiveSteps, offset: number | undefined): Promise<void> {
  const finished = await steps
    .finishSession(input.sql, {
      sessionId: input.sessionId,
      epoch: input.epoch,
      status: "failed",
      run: null,
      error: FAILED_ON_OUR_SIDE,
    })
    .catch((error: unknown) => {
      // The database is gone too: the client still gets an error; the lease expires and the
      // reconciler recovers the session from its durable offset.
      logError("live runner could not record its failure", { sessionId: input.sessionId, error });
      return "unknown" as const;
    });
  if (finished === "ok")
    sessionBroadcaster({ sql: input.sql, env: input.env }).statusChanged(input.sessionId);
  if (finished !== "fenced") input.feed.emit({ type: "error", ...FAILED_ON_OUR_SIDE, offset });
}

/**
 * DESIGN §2 order: the checkpoint is already flushed (runSession) → bump the epoch and set
 * `background` in one statement → dispatch with key `session:<id>:epoch:<n>` → tell the browser.
 * A connection-bound run cannot be re-attached: it is marked `interrupted` first and continued with a
 * continuation request (the seam is recorded when the background runner claims it). If another
 * producer took the session meanwhile, the caller's `handoff` tells the client to follow the log.
 */
/**
 * What produces the rest after a handoff: a detachable run is re-attached; a connection-bound run cut
 * after some output is continued after a seam; with nothing streamed yet (offset 0) the background
 * runner sends the request again (`restart`), no seam. A detachable run with no durable byte has no
 * durable cursor either (the cursor rides with the text), so it is run again too.
 */
function handoffNext(agent: AgentConfig, offset: number): "reattach" | "continuation" | "restart" {
  if (offset === 0) return "restart";
  return isDetachable(agent) ? "reattach" : "continuation";
}

async function handOff(input: LiveRunInput, steps: LiveSteps, offset: number): Promise<void> {
  const { sql, env } = input;
  if (!isDetachable(input.agent)) {
    if ((await steps.markInterrupted(sql, input.sessionId, input.epoch)) === "fenced") return;
    sessionBroadcaster({ sql, env }).statusChanged(input.sessionId);
  }
  const epoch = await steps.handOffToBackground(sql, input.sessionId, input.epoch, env.LEASE_SECONDS);
  if (epoch === null) return;
  sessionBroadcaster({ sql, env }).statusChanged(input.sessionId);
  await input.dispatcher
    .dispatch({ sessionId: input.sessionId, epoch, userId: input.userId })
    .catch((error) => logError("handoff dispatch failed", { sessionId: input.sessionId, epoch, error }));
  input.feed.emit({ type: "handoff", status: "background", offset, next: handoffNext(input.agent, offset) });
}
