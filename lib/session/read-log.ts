import type { Sql } from "../db/client.ts";
import { readLogChunks, sliceChunkFrom } from "../db/session-log.ts";
import {
  findNewerRowBelow,
  LOG_RUN_BYTES,
  type LogRun,
  logPageEnd,
  readLogRuns,
} from "../db/session-log-read.ts";
import type { SessionNotifications } from "../db/session-notifications.ts";
import { getSession, type SessionRow } from "../db/sessions.ts";
import { TERMINAL_STATUSES } from "../lifecycle.ts";
import { wireProgress } from "./snapshot.ts";
import type { SessionState, SessionStreamEvent, StreamCursor } from "./wire.ts";

/** One replay event carries at most about this much text (plus one row): replay follows bytes. */
export const REPLAY_RUN_BYTES = LOG_RUN_BYTES;
/** Log bytes read per query; the first page is small so the first delta goes out at once. */
const FIRST_PAGE_BYTES = 32 * 1024;
const PAGE_BYTES = 1024 * 1024;

/**
 * Where a stream reader holding bytes up to `offset` from producers up to `epoch` stands against
 * the log now: the offset to go on from (below `offset` when it must rewind) and the epoch its
 * bytes are then consistent with. A plain offset (epoch null) is trusted as is.
 *
 * Invariant: row epochs never decrease along the log. So the reader's bytes match the log below the
 * first row a newer producer wrote; and when a newer producer exists, the older one is fenced out, so
 * bytes past the durable offset will never be written by it.
 */
export async function settleCursor(
  sql: Sql,
  session: SessionRow,
  cursor: StreamCursor,
): Promise<{ offset: number; epoch: number | null; rewound: boolean }> {
  const { epoch, offset } = cursor;
  if (epoch === null || session.epoch <= epoch) return { offset, epoch, rewound: false };
  const newer = await findNewerRowBelow(sql, session.id, epoch, offset);
  let settled = offset;
  if (newer !== null) settled = Math.min(settled, newer);
  if (settled > session.durableOffset) settled = session.durableOffset;
  // Bytes up to `settled` are durable and no producer newer than `session.epoch` exists yet.
  return { offset: settled, epoch: session.epoch, rewound: settled < offset };
}

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

/** What one reader has been sent so far. */
interface ReaderPosition {
  sent: number;
  epoch: number | null;
  state: string;
  progress: string;
}

export interface TailOptions {
  /** Where the reader stands (after `settleCursor`). */
  from: number;
  epoch: number | null;
  /** The session row the stream started from: its state went out in the `session` event. */
  session: SessionRow;
  emit: (event: SessionStreamEvent) => void;
  signal: AbortSignal;
  /** false: stop at the durable end instead of tailing (`?follow=0`, a catch-up read). */
  follow?: boolean;
}

/**
 * Replays a session's log from `from` and tails it until the session ends: `delta` events joining
 * consecutive rows, `rewind` when a newer producer replaced bytes the reader holds, `status` and
 * `progress` when they change, and a final `done` or `error`. Idle, it waits for the process's one
 * LISTEN connection to announce a change: it never polls on its own.
 */
export async function replayAndTail(
  readers: { sql: Sql; notifications: SessionNotifications },
  options: TailOptions,
): Promise<void> {
  const { sql, notifications: hub } = readers;
  const { session, emit, signal } = options;
  const watch = await hub.watch(session.id, signal, { watching: options.follow !== false });
  const position: ReaderPosition = {
    sent: options.from,
    epoch: options.epoch,
    state: stateKey(session),
    progress: "",
  };
  let pageBytes = FIRST_PAGE_BYTES;
  try {
    while (!signal.aborted) {
      watch.reading();
      const current = await getSession(sql, session.id);
      if (!current) return;
      hub.observe(current.id, current.updatedAt);
      await followSession(sql, current, position, emit);
      // Full pages are read back to back: the row is read again only once the log is caught up
      // (log bytes are never replaced, so nothing a page holds needs the row's news). The next page
      // is asked for while this one is sent, when the row says the log goes on past this one.
      let page: Awaited<ReturnType<typeof replayPage>>;
      let next = readPage(sql, current.id, position.sent, pageBytes);
      do {
        const runs = await next.runs;
        pageBytes = PAGE_BYTES;
        const after =
          next.end < current.durableOffset ? readPage(sql, current.id, next.end, pageBytes) : null;
        page = replayPage(current.id, position, runs, next.end, emit);
        if (page === "more") next = after ?? readPage(sql, current.id, position.sent, pageBytes);
      } while (page === "more" && !signal.aborted);
      if (page === "unreadable") return;
      if (TERMINAL_STATUSES.includes(current.status) && position.sent >= current.durableOffset) {
        emit(terminalEvent(current));
        return;
      }
      if (options.follow === false && position.sent >= current.durableOffset) return;
      await watch.next();
    }
  } finally {
    watch.close();
  }
}

/** Rewinds the reader if a newer producer replaced what it holds; sends status and progress changes. */
async function followSession(
  sql: Sql,
  session: SessionRow,
  position: ReaderPosition,
  emit: (event: SessionStreamEvent) => void,
): Promise<void> {
  if (position.epoch !== null && session.epoch > position.epoch) {
    const settled = await settleCursor(sql, session, { offset: position.sent, epoch: position.epoch });
    if (settled.rewound) emit({ type: "rewind", offset: settled.offset, epoch: position.epoch });
    position.sent = settled.offset;
    position.epoch = settled.epoch;
  }
  const state = stateKey(session);
  if (state !== position.state) {
    position.state = state;
    emit({ type: "status", ...sessionState(session) });
  }
  const progress = wireProgress(session);
  if (progress === null) return;
  const key = JSON.stringify(progress);
  if (key === position.progress) return;
  position.progress = key;
  emit({ type: "progress", ...progress });
}

/**
 * The runs of the rows starting below `end`, the first window boundary at least `pageBytes` past
 * `from`. A page holds whole windows: where a page is cut never changes the runs a replay sends.
 */
function readPage(sql: Sql, sessionId: string, from: number, pageBytes: number) {
  const end = logPageEnd(from, pageBytes, REPLAY_RUN_BYTES);
  const runs = readLogRuns(sql, sessionId, from, pageBytes, REPLAY_RUN_BYTES);
  // Read ahead, it may be let go unread when a reader leaves: its failure is the next read's.
  runs.catch(() => {});
  return { end, runs };
}

/**
 * Sends one page of the log as coalesced deltas (a run already sent, as one a page read ahead holds
 * from the row before it, is skipped): "more" when the page was full (read on at once), "done" when
 * the log ends here, "unreadable" after an error event.
 */
function replayPage(
  sessionId: string,
  position: ReaderPosition,
  runs: LogRun[],
  pageEnd: number,
  emit: (event: SessionStreamEvent) => void,
): "more" | "done" | "unreadable" {
  let sent = false;
  for (const run of runs) {
    if (run.endOffset <= position.sent) continue;
    if (run.startOffset > position.sent)
      throw new Error(`log gap at ${position.sent} in session ${sessionId}`);
    const text = sliceRun(run, position.sent);
    if (text === null) {
      emit({ type: "error", code: "bad_request:offset", message: "The offset splits a UTF-8 character." });
      return "unreadable";
    }
    const epoch = Math.max(position.epoch ?? 0, run.epoch);
    emit({ type: "delta", text, offset: run.endOffset, epoch });
    position.sent = run.endOffset;
    sent = true;
  }
  // A page holds every row starting before its end: if the log goes on past it, read on.
  return sent && position.sent >= pageEnd ? "more" : "done";
}

function sliceRun(run: LogRun, from: number): string | null {
  try {
    return sliceChunkFrom(run, from);
  } catch {
    return null;
  }
}

/** Status, runner, durable offset and seams of a session row, as the wire carries them. */
export function sessionState(session: SessionRow): SessionState {
  return {
    status: session.status,
    runner: session.runner,
    offset: session.durableOffset,
    seams: session.seamOffsets,
  };
}

function stateKey(session: SessionRow): string {
  return JSON.stringify([session.status, session.runner, session.seamOffsets]);
}

/** The event that ends a reader's stream for a finished session. */
export function terminalEvent(session: SessionRow): SessionStreamEvent {
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
