import { billAbandonedRun } from "../db/run-billing.ts";
import { getSession } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import { isTerminal } from "../lifecycle.ts";
import { logError } from "../log.ts";
import type { Runtime } from "../runtime/runtime.ts";
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
  runtime: Runtime;
  sessionId: string;
  userId: string;
}): Promise<CancelResult> {
  const { runtime } = deps;
  const { sql, transitions } = runtime;
  const session = await requireOwnedSession(sql, deps.sessionId, deps.userId);
  if (isTerminal(session.status)) {
    throw new AppError("conflict:session_finished", `The session already ended (${session.status}).`);
  }
  const terminal = await watchForTerminal(runtime, session.id);
  try {
    if (!(await transitions.requestCancel(session.id))) {
      throw new AppError("conflict:session_finished", "The session already ended.");
    }
    if (session.runner === "trigger") {
      await runtime.dispatcher
        .cancel(session.runId)
        .catch((error) => logError("background run cancel failed", { sessionId: session.id, error }));
    }
    if (!(await terminal.reached(RUNNER_GRACE_MS))) await finishWithoutRunner(runtime, session.id);
  } finally {
    terminal.close();
  }
  const after = await getSession(sql, session.id);
  return { status: after?.status ?? "cancelled", offset: after?.durableOffset ?? session.durableOffset };
}

async function finishWithoutRunner(runtime: Runtime, sessionId: string): Promise<void> {
  const epoch = await runtime.transitions.fenceOut(sessionId);
  if (epoch === null) return;
  // The producer that did not answer is gone: its run is billed from its last metering step.
  await billAbandonedRun(runtime.sql, sessionId);
  await runtime.transitions.finish({ sessionId, epoch, status: "cancelled", run: null, error: null });
}

/** Subscribes before the cancel is requested, so a fast runner's final notification is not missed. */
async function watchForTerminal(
  runtime: Runtime,
  sessionId: string,
): Promise<{ reached(timeoutMs: number): Promise<boolean>; close(): void }> {
  let resolveDone!: (value: boolean) => void;
  const done = new Promise<boolean>((resolve) => {
    resolveDone = resolve;
  });
  const unsubscribe = await runtime.notifications.subscribe(sessionId, (change) => {
    if (change.status && isTerminal(change.status)) resolveDone(true);
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
