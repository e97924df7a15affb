import type { Sql } from "../db/client.ts";
import { type LogRowWithDeltas, readLogRowsWithDeltas } from "../db/session-log-deltas.ts";
import type { SessionNotifications } from "../db/session-notifications.ts";
import { getSession } from "../db/sessions.ts";
import { isTerminal } from "../lifecycle.ts";
import type { SessionRow } from "../session/ports.ts";
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

/**
 * Turns log rows into the session's chunk sequence, cutting the text at the recorded delta ends (see
 * `sequence.ts`): the same rows always give the same chunks. Rows are consumed whole, in order.
 */
export class LogChunkAssembler {
  readonly sequencer: UiChunkSequencer;
  /** Bytes of the log consumed so far (always a row boundary). */
  offset = 0;
  #pending: Buffer[] = [];

  constructor(meta: UiMessageMeta) {
    this.sequencer = new UiChunkSequencer(meta);
  }

  row(row: LogRowWithDeltas): UiChunk[] {
    if (row.startOffset !== this.offset)
      throw new Error(`log gap at ${this.offset}: next row at ${row.startOffset}`);
    const bytes = Buffer.from(row.text, "utf8");
    const chunks: UiChunk[] = [];
    let at = row.startOffset;
    for (const end of row.deltaEnds ?? [row.endOffset]) {
      this.#pending.push(bytes.subarray(at - row.startOffset, end - row.startOffset));
      const text = Buffer.concat(this.#pending).toString("utf8");
      this.#pending = [];
      chunks.push(...this.sequencer.delta(text, row.epoch, end));
      at = end;
    }
    // A delta cut by the row size limit goes on in the next row of the same write.
    if (at < row.endOffset) this.#pending.push(bytes.subarray(at - row.startOffset));
    this.offset = row.endOffset;
    return chunks;
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
  const watch = await hub.watch(session.id, signal);
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
      const rows = await readLogRowsWithDeltas(sql, current.id, assembler.offset, pageRows);
      for (const row of rows) for (const chunk of assembler.row(row)) emit(chunk);
      if (rows.length === pageRows) {
        pageRows = ROWS_PER_PAGE;
        continue;
      }
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
    signal: new AbortController().signal,
    follow: false,
  });
  return count;
}
