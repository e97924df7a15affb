import type { Sql } from "../db/client.ts";
import {
  type LogRowWithDeltas,
  type MarkCursor,
  readLogPageWithMarks,
  type StoredMark,
} from "../db/session-log-deltas.ts";
import type { SessionNotifications } from "../db/session-notifications.ts";
import { getSession } from "../db/sessions.ts";
import { isTerminal } from "../lifecycle.ts";
import type { SessionRow } from "../session/ports.ts";
import type { UiTextRun } from "./response.ts";
import { type UiChunk, UiChunkSequencer, type UiMessageMeta, type UiTerminal } from "./sequence.ts";

/** Log rows read per query; the first page is one row so the first chunks go out at once. */
const ROWS_PER_PAGE = 512;
const FIRST_PAGE_ROWS = 1;

/** The reader's view of a session: what the `start` chunk names. */
export function uiMessageMeta(session: SessionRow): UiMessageMeta {
  return {
    sessionId: session.id,
    conversationId: session.conversationId,
    agent: session.agent,
    mode: session.mode,
  };
}

/** How a finished session ends its chunk sequence; null while it is not finished. */
export function uiTerminal(session: SessionRow): UiTerminal | null {
  if (!isTerminal(session.status)) return null;
  return {
    status: session.status as UiTerminal["status"],
    error: session.error,
    usage: session.usage,
    costUsd: session.costUsd,
  };
}

type UiEmit = (chunk: UiChunk) => void;

/** `text-delta` chunks of one text part in bulk: exactly what emitting each would send. */
export type UiEmitText = (id: string, run: UiTextRun) => void;

/**
 * Turns log rows and marks into the session's chunk sequence, cutting the text at the recorded delta
 * ends and putting each mark after every delta ending at or before its offset (see `sequence.ts`): the
 * same log always gives the same chunks. Rows are consumed whole, in order; marks in (at, epoch, seq).
 */
export class LogChunkAssembler {
  readonly sequencer: UiChunkSequencer;
  /** Bytes of the log consumed so far (always a row boundary). */
  offset = 0;
  /** The last mark consumed. */
  markCursor: MarkCursor = null;
  #pending = "";
  #marks: StoredMark[] = [];

  constructor(meta: UiMessageMeta) {
    this.sequencer = new UiChunkSequencer(meta);
  }

  /** One page: its rows, with its marks in their places; marks at the page's end come last. */
  page(rows: LogRowWithDeltas[], marks: StoredMark[], emit: UiEmit, emitText?: UiEmitText): void {
    this.#marks = marks;
    for (const row of rows) this.row(row, emit, emitText);
    this.#marksBefore(Number.POSITIVE_INFINITY, emit);
  }

  /**
   * One row; runs of plain text deltas go to `emitText` in bulk when it is given (a replay's hot path),
   * as the row's UTF-8 cut at the delta ends: no walk through the text to find them, no string per delta.
   */
  row(row: LogRowWithDeltas, emit: UiEmit, emitText?: UiEmitText): void {
    if (row.startOffset !== this.offset)
      throw new Error(`log gap at ${this.offset}: next row at ${row.startOffset}`);
    const ends = row.deltaEnds ?? [row.endOffset];
    const utf8 = Buffer.from(row.text, "utf8");
    let run = { id: "", bounds: [] as number[] };
    const flush = () => {
      if (run.bounds.length > 1) emitText?.(run.id, { utf8, bounds: run.bounds });
      run = { id: "", bounds: [] };
    };
    let from = 0;
    for (const end of ends) {
      const to = end - row.startOffset;
      if (to < from || to > utf8.length || (utf8[to]! & 0xc0) === 0x80)
        throw new Error(`delta end ${end} outside the row or inside a character`);
      if (this.#marks.length > 0 && this.#marks[0]!.at < end) {
        flush();
        this.#marksBefore(end, emit);
      }
      // A delta carried over from the previous row (`#pending`) is not in this row's bytes.
      const id =
        emitText && this.#pending === "" && to > from
          ? this.sequencer.appendText({ utf8, from, to }, row.epoch, end)
          : null;
      if (id !== null) {
        if (run.id !== id) flush();
        if (run.bounds.length === 0) run.bounds.push(from);
        run.id = id;
        run.bounds.push(to);
      } else {
        flush();
        const text = this.#pending + utf8.toString("utf8", from, to);
        this.#pending = "";
        for (const chunk of this.sequencer.delta(text, row.epoch, end)) emit(chunk);
      }
      from = to;
    }
    flush();
    // A delta cut by the row size limit goes on in the next row of the same write.
    if (from < utf8.length) this.#pending += utf8.toString("utf8", from);
    this.offset = row.endOffset;
  }

  /** Emits the page's marks at offsets below `end` (a mark at X goes after the delta ending at X). */
  #marksBefore(end: number, emit: UiEmit): void {
    let taken = 0;
    while (taken < this.#marks.length && this.#marks[taken]!.at < end) {
      const mark = this.#marks[taken++]!;
      for (const chunk of this.sequencer.mark(mark, mark.epoch)) emit(chunk);
      this.markCursor = { at: mark.at, epoch: mark.epoch, seq: mark.seq };
    }
    if (taken > 0) this.#marks = this.#marks.slice(taken);
  }
}

/** What a replay reads with: the pool and the process's LISTEN hub (a `Runtime` is one). */
export interface UiReaders {
  sql: Sql;
  notifications: SessionNotifications;
}

export interface UiReplayOptions {
  session: SessionRow;
  emit: (chunk: UiChunk) => void;
  /** Runs of plain text deltas in bulk (the chunks `emit` would get otherwise, in the same order). */
  emitText?: UiEmitText;
  signal: AbortSignal;
  /** false: stop at the durable end (counting what a read would hold now) instead of tailing. */
  follow?: boolean;
  /** The session row as each pass of the read saw it (for `data-session` parts). */
  onRow?: (session: SessionRow) => void;
}

/**
 * Replays a session's message from its `start` chunk, then tails the log until it ends (`finish`).
 * Idle, it waits for the process's LISTEN connection to announce a change; it never polls.
 */
export async function replayUiMessage(readers: UiReaders, options: UiReplayOptions): Promise<void> {
  const { session, emit, signal } = options;
  const { sql, notifications: hub } = readers;
  const watch = await hub.watch(session.id, signal, { watching: options.follow !== false });
  const assembler = new LogChunkAssembler(uiMessageMeta(session));
  let pageRows = FIRST_PAGE_ROWS;
  try {
    for (const chunk of assembler.sequencer.start()) emit(chunk);
    while (!signal.aborted) {
      watch.reading();
      const current = await getSession(sql, session.id);
      if (!current) return;
      hub.observe(current.id, current.updatedAt);
      options.onRow?.(current);
      // Full pages are read back to back: the row is read again only once the log is caught up (log
      // bytes are never replaced, so nothing a page holds needs the row's news).
      let full: boolean;
      do {
        const { rows, marks } = await readLogPageWithMarks(
          sql,
          current.id,
          assembler.offset,
          pageRows,
          assembler.markCursor,
        );
        assembler.page(rows, marks, emit, options.emitText);
        full = rows.length === pageRows;
        pageRows = ROWS_PER_PAGE;
      } while (full && !signal.aborted);
      if (signal.aborted) return;
      const terminal = uiTerminal(current);
      if (terminal && assembler.offset >= current.durableOffset) {
        for (const chunk of assembler.sequencer.finish(terminal)) emit(chunk);
        return;
      }
      if (options.follow === false) return;
      await watch.next();
    }
  } finally {
    watch.close();
  }
}

/** How many chunks a read of the session would hold now (for a negative `startIndex`). */
export async function countUiChunks(readers: UiReaders, session: SessionRow): Promise<number> {
  let count = 0;
  await replayUiMessage(readers, {
    session,
    emit: () => {
      count += 1;
    },
    emitText: (_id, run) => {
      count += run.bounds.length - 1;
    },
    signal: new AbortController().signal,
    follow: false,
  });
  return count;
}
