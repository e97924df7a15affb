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
import { registerRunner } from "./control.ts";
import type { SessionFeed } from "./events.ts";
import { runSession } from "./run-session.ts";

export interface LiveRunInput {
  sql: Sql;
  env: Env;
  dispatcher: BackgroundDispatcher;
  sessionId: string;
  userId: string;
  epoch: number;
  agent: AgentConfig;
  feed: SessionFeed;
}

/**
 * The live runner of POST /api/chat. It is independent of the HTTP response: the client's SSE is one
 * subscriber of `feed`, and a disconnect does not stop it. At LIVE_BUDGET_SECONDS it hands off.
 */
export async function runLiveSession(input: LiveRunInput): Promise<void> {
  const { sql, env } = input;
  const control = await registerRunner(sql, input.sessionId);
  try {
    const session = await getSession(sql, input.sessionId);
    if (!session) return;
    const { request } = await buildAgentRequest(sql, session, { continuation: false });
    const outcome = await runSession({
      sql,
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
      observer: sessionBroadcaster({ sql, env }),
      checkpoint: {
        intervalMs: env.CHECKPOINT_MS,
        maxBytes: env.CHECKPOINT_BYTES,
        leaseSeconds: env.LEASE_SECONDS,
      },
      startedAt: session.startedAt?.getTime(),
    });
    if (outcome.kind === "budget") await handOff(input, outcome.offset);
    // Ended here: a client that left (or credits that ran out) may have enqueued notifications.
    else if (outcome.kind !== "fenced") await dispatchSessionNotifications(sql, env, input.sessionId);
    else if (outcome.kind === "fenced") {
      // Another producer owns the session now; readers follow it through the stream endpoint.
      input.feed.emit({ type: "handoff", status: "background", offset: outcome.offset });
    }
  } catch (error) {
    logError("live runner failed", { sessionId: input.sessionId, userId: input.userId, error });
    const failed = await finishSession(sql, {
      sessionId: input.sessionId,
      epoch: input.epoch,
      status: "failed",
      run: null,
      error: { code: "internal", message: "The session failed on our side." },
    }).catch(() => "fenced" as const);
    if (failed === "ok") sessionBroadcaster({ sql, env }).statusChanged(input.sessionId);
    if (failed === "ok")
      input.feed.emit({ type: "error", code: "internal", message: "The session failed on our side." });
  } finally {
    control.release();
  }
}

/**
 * DESIGN §2 order: the checkpoint is already flushed (runSession) → bump the epoch and set
 * `background` in one statement → dispatch with key `session:<id>:epoch:<n>` → tell the browser.
 * A connection-bound run cannot be re-attached: it is marked `interrupted` first and continued with a
 * continuation request (the seam is recorded when the background runner claims it).
 */
async function handOff(input: LiveRunInput, offset: number): Promise<void> {
  const { sql, env } = input;
  if (!isDetachable(input.agent)) {
    if ((await markInterrupted(sql, input.sessionId, input.epoch)) === "fenced") return;
    sessionBroadcaster({ sql, env }).statusChanged(input.sessionId);
  }
  const epoch = await handOffToBackground(sql, input.sessionId, input.epoch, env.LEASE_SECONDS);
  if (epoch === null) return;
  sessionBroadcaster({ sql, env }).statusChanged(input.sessionId);
  await input.dispatcher
    .dispatch({ sessionId: input.sessionId, epoch, userId: input.userId })
    .catch((error) => logError("handoff dispatch failed", { sessionId: input.sessionId, epoch, error }));
  const next = isDetachable(input.agent) ? "reattach" : "continuation";
  input.feed.emit({ type: "handoff", status: "background", offset, next });
}
