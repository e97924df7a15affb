import { isTerminal, statusList, TERMINAL_STATUSES } from "../lifecycle.ts";
import type { AppendCheckpoint, CheckpointOutcome, Watchers } from "../session/ports.ts";
import type { Sql } from "./client.ts";
import { encodeNotify, type NotifyChannel } from "./notify-payloads.ts";

/** The NOTIFY channel every log append and status change is announced on. */
export const SESSION_LOG_CHANNEL = "session_log" satisfies NotifyChannel;

export interface LogChunk {
  startOffset: number;
  endOffset: number;
  text: string;
  epoch: number;
}

export type { AppendCheckpoint } from "../session/ports.ts";

/** `writeCheckpoint`'s outcome alone. */
export async function appendCheckpoint(sql: Sql, write: AppendCheckpoint): Promise<CheckpointOutcome> {
  const answer = await writeCheckpoint(sql, write);
  return typeof answer === "string" ? answer : answer.outcome;
}

/**
 * Appends text and advances the durable offset in one round trip, only if the writer still holds the
 * session's epoch and the offset is where the log ends. Text over `maxChunkBytes` becomes several
 * rows (split on character boundaries) in the same statement. An empty `text` only updates the
 * cursor, progress and lease. A landed write also answers who watches the session and its owner's
 * list (issue 19), read in the same statement. Announces the new offset on SESSION_LOG_CHANNEL only
 * while a process listens for this session (`listened_until`): a NOTIFY serialises commits
 * database-wide.
 *
 * No wake-up is lost: a reader's process sets `listened_until` on the session row (and commits) before
 * the reader's first read. This UPDATE takes the same row lock, so it either commits before that
 * registration (then the reader's read sees its text) or runs after it and, under READ COMMITTED,
 * re-reads the newest row version, whose `listened_until` is set (then it notifies).
 *
 * "duplicate" means this exact write already landed (a retry of a write whose reply was lost).
 */
export async function writeCheckpoint(
  sql: Sql,
  write: AppendCheckpoint,
): Promise<CheckpointOutcome | { outcome: "ok"; watchers: Watchers }> {
  const pieces = splitOnCharacters(write.text, write.maxChunkBytes ?? 8192);
  const { starts, ends, endOffset } = pieceOffsets(write.startOffset, pieces);
  const rowMarks = rowDeltaEnds(starts, ends, write.deltaEnds, write.marks);
  const cursor = write.agentCursor === undefined ? null : sql.json(write.agentCursor as never);
  const progress = write.progress === undefined ? null : sql.json(write.progress as never);
  const marks = sql.json((write.marks ?? []) as never);
  const rows = await sql<{ end_offset: number; session_ms: number; list_ms: number }[]>`
    with advanced as (
      update sessions
      set durable_offset = ${endOffset},
          agent_cursor = coalesce(${cursor}::jsonb, agent_cursor),
          progress = coalesce(${progress}::jsonb, progress),
          lease_expires_at = now() + make_interval(secs => ${write.leaseSeconds}),
          updated_at = now()
      where id = ${write.sessionId}
        and epoch = ${write.epoch}
        and durable_offset = ${write.startOffset}
        and status not in (${sql.unsafe(statusList(TERMINAL_STATUSES))})
      returning id, user_id, watched_until, listened_until > now() as listened
    ), appended as (
      insert into session_chunks (session_id, start_offset, end_offset, text, epoch, delta_ends)
      select ${write.sessionId}, piece.start_offset, piece.end_offset, piece.text, ${write.epoch},
             string_to_array(piece.marks, ',')::bigint[]
      from advanced,
           unnest(${sql.array(starts)}::bigint[], ${sql.array(ends)}::bigint[], ${sql.array(pieces)}::text[],
                  ${sql.array(rowMarks as string[])}::text[])
             as piece(start_offset, end_offset, text, marks)
      returning end_offset
    ), marked as (
      insert into session_marks (session_id, epoch, seq, at, kind, data)
      select ${write.sessionId}, ${write.epoch}, mark.seq, mark.at, mark.kind, mark.data
      from advanced, jsonb_to_recordset(${marks}::jsonb) as mark(seq integer, at bigint, kind text, data jsonb)
      on conflict do nothing
      returning seq
    )
    select ${endOffset}::bigint as end_offset,
           -- Who watches (milliseconds left, 0 for nobody): the runner paces itself by it.
           greatest(0, extract(epoch from coalesce(advanced.watched_until, now()) - now()) * 1000)::float8 as session_ms,
           greatest(0, extract(epoch from coalesce(list.watched_until, now()) - now()) * 1000)::float8 as list_ms,
           case when advanced.listened
             then pg_notify(${SESSION_LOG_CHANNEL}, ${encodeNotify(SESSION_LOG_CHANNEL, { s: write.sessionId, o: endOffset })})
           end
    from advanced left join session_list_watches list on list.user_id = advanced.user_id`;
  const [row] = rows;
  if (row) return { outcome: "ok", watchers: { sessionMs: row.session_ms, listMs: row.list_ms } };
  // Nothing advanced: either we were fenced, or this write already landed and only its reply was lost.
  const [state] = await sql<{ epoch: number; durable_offset: number; status: string; mine: boolean }[]>`
    select s.epoch, s.durable_offset, s.status,
           exists (select 1 from session_chunks c
                   where c.session_id = s.id and c.start_offset = ${write.startOffset} and c.epoch = ${write.epoch}) as mine
    from sessions s where s.id = ${write.sessionId}`;
  return state && alreadyLanded(state, write, endOffset) ? "duplicate" : "fenced";
}

/** Where each piece starts and ends in the log, and where the log ends after all of them. */
function pieceOffsets(
  startOffset: number,
  pieces: string[],
): { starts: number[]; ends: number[]; endOffset: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  let endOffset = startOffset;
  for (const piece of pieces) {
    starts.push(endOffset);
    endOffset += Buffer.byteLength(piece, "utf8");
    ends.push(endOffset);
  }
  return { starts, ends, endOffset };
}

/**
 * Each row's delta ends, comma-separated: those in (start, end]. A writer that recorded none (a
 * background producer: no reader got its deltas one by one) has one delta per row (null), except a
 * row that one of the write's marks falls inside: it is cut there and at its end, so a replay puts a
 * tool call after the text written before it.
 */
export function rowDeltaEnds(
  starts: number[],
  ends: number[],
  deltaEnds: number[] | undefined,
  marks: { at: number }[] = [],
): (string | null)[] {
  return starts.map((start, index) => {
    const end = ends[index] ?? start;
    if (deltaEnds !== undefined) return deltaEnds.filter((at) => at > start && at <= end).join(",");
    const cuts = [...new Set(marks.map((mark) => mark.at).filter((at) => at > start && at < end))];
    return cuts.length === 0 ? null : [...cuts.sort((a, b) => a - b), end].join(",");
  });
}

/** Whether a write that advanced nothing had in fact landed before (only its reply was lost). */
function alreadyLanded(
  state: { epoch: number; durable_offset: number; status: string; mine: boolean },
  write: AppendCheckpoint,
  endOffset: number,
): boolean {
  if (state.epoch !== write.epoch) return false;
  // Appends are contiguous, so our first row at our start offset plus the log ending at our end
  // offset means this very write landed.
  if (state.mine && state.durable_offset >= endOffset) return true;
  // A cursor-only write leaves no row: it landed if the log still ends where it started.
  return write.text === "" && state.durable_offset === write.startOffset && !isTerminal(state.status);
}

/** Splits text into pieces of at most `maxBytes` UTF-8 bytes without cutting a character. */
export function splitOnCharacters(text: string, maxBytes: number): string[] {
  if (text === "") return [];
  const pieces: string[] = [];
  let current = "";
  let currentBytes = 0;
  for (const character of text) {
    const bytes = Buffer.byteLength(character, "utf8");
    if (currentBytes + bytes > maxBytes && current) {
      pieces.push(current);
      current = "";
      currentBytes = 0;
    }
    current += character;
    currentBytes += bytes;
  }
  if (current) pieces.push(current);
  return pieces;
}

/** Log chunks that end after `fromOffset`, in order, at most `limit` of them. */
export async function readLogChunks(
  sql: Sql,
  sessionId: string,
  fromOffset: number,
  limit = 512,
): Promise<LogChunk[]> {
  const rows = await sql<{ start_offset: number; end_offset: number; text: string; epoch: number }[]>`
    select start_offset, end_offset, text, epoch from session_chunks
    where session_id = ${sessionId} and end_offset > ${fromOffset}
    order by start_offset
    limit ${limit}`;
  return rows.map((row) => ({
    startOffset: row.start_offset,
    endOffset: row.end_offset,
    text: row.text,
    epoch: row.epoch,
  }));
}

/** The whole durable output of a session. */
export async function readLogText(sql: Sql, sessionId: string): Promise<string> {
  const [row] = await sql<{ text: string | null }[]>`
    select string_agg(text, '' order by start_offset) as text from session_chunks where session_id = ${sessionId}`;
  return row?.text ?? "";
}

/**
 * The text from `fromOffset` to the end of the durable log. Throws RangeError when the offset does
 * not fall on a UTF-8 character boundary inside the log.
 */
export function sliceChunkFrom(chunk: LogChunk, fromOffset: number): string {
  if (fromOffset <= chunk.startOffset) return chunk.text;
  const bytes = Buffer.from(chunk.text, "utf8");
  const at = fromOffset - chunk.startOffset;
  const byte = bytes[at];
  // 0b10xxxxxx is a continuation byte: the offset would split a character.
  if (byte !== undefined && (byte & 0xc0) === 0x80)
    throw new RangeError("offset inside a multi-byte character");
  return bytes.subarray(at).toString("utf8");
}
