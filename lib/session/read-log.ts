import type { Sql } from "../db/client.ts";
import { readLogChunks, sliceChunkFrom } from "../db/session-log.ts";
import { getSessionNotifications } from "../db/session-notifications.ts";
import { getSession, type SessionRow, TERMINAL_STATUSES } from "../db/sessions.ts";
import type { SessionEvent } from "./events.ts";

const PAGE = 256;
/** Safety net only: NOTIFY wakes the reader; this bounds the wait if a notification is ever missed. */
const FALLBACK_WAKE_MS = 5000;

/** Whether a replay may start at `offset`: inside the log, on a character boundary. */
export async function checkReplayOffset(
  sql: Sql,
  session: SessionRow,
  offset: number,
): Promise<"ok" | "past_end" | "inside_character"> {
  if (offset > session.durableOffset) {
    // A running session's live readers may be ahead of the durable log by one checkpoint interval.
    return TERMINAL_STATUSES.includes(session.status) ? "past_end" : "ok";
  }
  if (offset === 0 || offset === session.durableOffset) return "ok";
  const [chunk] = await readLogChunks(sql, session.id, offset, 1);
  if (!chunk) return "ok";
  try {
    sliceChunkFrom(chunk, offset);
    return "ok";
  } catch {
    return "inside_character";
  }
}

/**
 * Replays a session's log from `fromOffset` and then tails it until the session ends, calling `emit`
 * with `delta` events (each carrying the offset after it), `progress` when it changes, and a final
 * `done` or `error`. Works whichever process produces: it reads Postgres and wakes on NOTIFY.
 * With `follow: false` it stops at the durable end instead of tailing (`?follow=0`: a catch-up read).
 */
export async function replayAndTail(
  sql: Sql,
  sessionId: string,
  fromOffset: number,
  emit: (event: SessionEvent) => void,
  signal: AbortSignal,
  options: { follow?: boolean } = {},
): Promise<void> {
  let sent = fromOffset;
  let wake: (() => void) | undefined;
  let pending = false;
  const unsubscribe = await getSessionNotifications(sql).subscribe(sessionId, () => {
    pending = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  let lastProgress = "";
  try {
    while (!signal.aborted) {
      pending = false;
      const chunks = await readLogChunks(sql, sessionId, sent, PAGE);
      for (const chunk of chunks) {
        if (chunk.startOffset > sent) throw new Error(`log gap at ${sent} in session ${sessionId}`);
        let text: string;
        try {
          text = sliceChunkFrom(chunk, sent);
        } catch {
          emit({
            type: "error",
            code: "bad_request:offset",
            message: "The offset splits a UTF-8 character.",
          });
          return;
        }
        emit({ type: "delta", text, offset: chunk.endOffset });
        sent = chunk.endOffset;
      }
      if (chunks.length === PAGE) continue;
      const session = await getSession(sql, sessionId);
      if (!session) return;
      const progress = JSON.stringify(session.progress ?? null);
      if (session.progress && progress !== lastProgress) {
        lastProgress = progress;
        const { stage, outputTokens, elapsedMs } = session.progress as {
          stage: string;
          outputTokens: number;
          elapsedMs: number;
        };
        emit({ type: "progress", stage, outputTokens, elapsedMs });
      }
      if (TERMINAL_STATUSES.includes(session.status) && sent >= session.durableOffset) {
        emit(terminalEvent(session));
        return;
      }
      if (pending || session.durableOffset > sent) continue;
      if (options.follow === false) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FALLBACK_WAKE_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}

/** The event that ends a reader's stream for a finished session. */
export function terminalEvent(session: SessionRow): SessionEvent {
  if (session.status === "completed") {
    return {
      type: "done",
      status: session.status,
      offset: session.durableOffset,
      usage: session.usage,
      costUsd: session.costUsd,
    };
  }
  if (session.status === "cancelled") {
    return {
      type: "error",
      code: "cancelled",
      message: "The session was cancelled.",
      offset: session.durableOffset,
    };
  }
  return {
    type: "error",
    code: session.error?.code ?? "failed",
    message: session.error?.message ?? "The session failed.",
    offset: session.durableOffset,
  };
}
