import { type AgentConfig, isDetachable } from "../agent/index.ts";
import { getSession } from "../db/sessions.ts";
import { logError } from "../log.ts";
import { dispatchSessionNotifications } from "../notify/dispatch.ts";
import { postgresRunPorts } from "../runtime/run-ports.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { buildAgentRequest } from "./agent-request.ts";
import type { SessionFeed } from "./events.ts";
import { runSession } from "./run-session.ts";

export interface LiveRunInput {
  /** The process's runtime; its `transitions` take every lifecycle step (a test may wrap them). */
  runtime: Runtime;
  sessionId: string;
  userId: string;
  epoch: number;
  agent: AgentConfig;
  feed: SessionFeed;
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
  let offset: number | undefined;
  try {
    const produced = await produceLive(input);
    offset = produced?.offset;
    if (produced?.kind === "budget") await handOff(input, produced.offset);
    // Ended here: a client that left (or credits that ran out) may have enqueued notifications.
    else if (produced && produced.kind !== "fenced")
      await dispatchSessionNotifications(input.runtime.sql, input.runtime.env, input.sessionId);
  } catch (error) {
    logError("live runner failed", { sessionId: input.sessionId, userId: input.userId, error });
    await failLive(input, offset);
  } finally {
    // Paths that found the session taken (a race lost at the budget, fenced at start) say so.
    input.feed.emit({ type: "handoff", status: "background", offset: offset ?? 0 });
  }
}

/** Streams the agent into the log; returns how production stopped (or undefined: no such session). */
async function produceLive(input: LiveRunInput) {
  const { runtime } = input;
  const { sql, env } = runtime;
  const session = await getSession(sql, input.sessionId);
  if (!session) {
    input.feed.emit({ type: "error", code: "not_found:session", message: "The session does not exist." });
    return undefined;
  }
  const { request } = await buildAgentRequest(sql, session, { continuation: false });
  const control = await runtime.runners.register(input.sessionId);
  try {
    return await runSession({
      ports: postgresRunPorts(runtime),
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
        idleIntervalMs: env.CHECKPOINT_IDLE_MS,
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
async function failLive(input: LiveRunInput, offset: number | undefined): Promise<void> {
  const finished = await input.runtime.transitions
    .finish({
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

async function handOff(input: LiveRunInput, offset: number): Promise<void> {
  const { transitions, dispatcher } = input.runtime;
  if (!isDetachable(input.agent)) {
    if ((await transitions.interrupt(input.sessionId, input.epoch)) === "fenced") return;
  }
  const epoch = await transitions.handOff(input.sessionId, input.epoch);
  if (epoch === null) return;
  await dispatcher
    .dispatch({ sessionId: input.sessionId, epoch, userId: input.userId })
    .catch((error) => logError("handoff dispatch failed", { sessionId: input.sessionId, epoch, error }));
  input.feed.emit({ type: "handoff", status: "background", offset, next: handoffNext(input.agent, offset) });
}
