import type { Sql } from "../db/client.ts";
import { billAbandonedRun } from "../db/run-billing.ts";
import { finishSession } from "../db/session-finish.ts";
import { fenceOutRunner, requestCancel } from "../db/session-lease.ts";
import { getSession, TERMINAL_STATUSES } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import type { BackgroundDispatcher } from "../jobs/dispatch.ts";
import { logError } from "../log.ts";
import { sessionBroadcaster } from "../realtime/index.ts";
import { sessionRuntime } from "./runtime.ts";
import { requireOwnedSession } from "./snapshot.ts";
import type { CancelResult } from "./wire.ts";

/** How long the running producer gets to stop, flush and finish before we fence it out. */
const RUNNER_GRACE_MS = 3000;

/**
 * POST /api/sessions/:id/cancel. The producer, wherever it runs, is asked to stop (NOTIFY); it aborts
 * the agent (and cancels the provider's run where the protocol allows), flushes and ends `cancelled`
 * with the partial output kept. If no producer answers in time, the session is fenced and finished here.
 */
export async function cancelSession(deps: {
  sql: Sql;
  dispatcher: BackgroundDispatcher;
  sessionId: string;
  userId: string;
}): Promise<CancelResult> {
  const { sql } = deps;
  const session = await requireOwnedSession(sql, deps.sessionId, deps.userId);
  if (TERMINAL_STATUSES.includes(session.status)) {
    throw new AppError("conflict:session_finished", `The session already ended (${session.status}).`);
  }
  const terminal = await watchForTerminal(sql, session.id);
  try {
    if (!(await requestCancel(sql, session.id))) {
      throw new AppError("conflict:session_finished", "The session already ended.");
    }
    if (session.runner === "trigger") {
      await deps.dispatcher
        .cancel(session.runId)
        .catch((error) => logError("background run cancel failed", { sessionId: session.id, error }));
    }
    if (!(await terminal.reached(RUNNER_GRACE_MS))) await finishWithoutRunner(sql, session.id);
  } finally {
    terminal.close();
  }
  const after = await getSession(sql, session.id);
  return { status: after?.status ?? "cancelled", offset: after?.durableOffset ?? session.durableOffset };
}

async function finishWithoutRunner(sql: Sql, sessionId: string): Promise<void> {
  const epoch = await fenceOutRunner(sql, sessionId);
  if (epoch === null) return;
  // The producer that did not answer is gone: its run is billed from its last metering step.
  await billAbandonedRun(sql, sessionId);
  const finished = await finishSession(sql, {
    sessionId,
    epoch,
    status: "cancelled",
    run: null,
    error: null,
  });
  if (finished === "ok") sessionBroadcaster().statusChanged(sessionId);
}

/** Subscribes before the cancel is requested, so a fast runner's final notification is not missed. */
async function watchForTerminal(
  sql: Sql,
  sessionId: string,
): Promise<{ reached(timeoutMs: number): Promise<boolean>; close(): void }> {
  let resolveDone!: (value: boolean) => void;
  const done = new Promise<boolean>((resolve) => {
    resolveDone = resolve;
  });
  const unsubscribe = await sessionRuntime(sql).notifications.subscribe(sessionId, (change) => {
    if (change.status && TERMINAL_STATUSES.includes(change.status as never)) resolveDone(true);
  });
  return {
    async reached(timeoutMs) {
      const timer = setTimeout(() => resolveDone(false), timeoutMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
    close: unsubscribe,
  };
}
