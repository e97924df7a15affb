import type { Sql } from "./client.ts";

/** The NOTIFY channel every log append and status change is announced on. */
export const SESSION_LOG_CHANNEL = "session_log";

export interface LogChunk {
  startOffset: number;
  endOffset: number;
  text: string;
  epoch: number;
}

export interface AppendCheckpoint {
  sessionId: string;
  epoch: number;
  /** Must equal the session's durable offset: appends are contiguous. */
  startOffset: number;
  text: string;
  agentCursor?: unknown;
  progress?: unknown;
  /** Extends the writer's lease while it is alive. */
  leaseSeconds: number;
}

/**
 * Appends one chunk and advances the durable offset in one round trip, only if the writer still
 * holds the session's epoch and the offset is where the log ends. An empty `text` only updates the
 * cursor, progress and lease. Announces the new offset on SESSION_LOG_CHANNEL.
 *
 * "duplicate" means this exact chunk is already in the log (a retry of a write whose reply was lost).
 */
export async function appendCheckpoint(
  sql: Sql,
  write: AppendCheckpoint,
): Promise<"ok" | "duplicate" | "fenced"> {
  const endOffset = write.startOffset + Buffer.byteLength(write.text, "utf8");
  const cursor = write.agentCursor === undefined ? null : sql.json(write.agentCursor as never);
  const progress = write.progress === undefined ? null : sql.json(write.progress as never);
  const rows = await sql<{ end_offset: number }[]>`
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
        and status not in ('completed', 'failed', 'cancelled')
      returning id
    ), appended as (
      insert into session_chunks (session_id, start_offset, end_offset, text, epoch)
      select ${write.sessionId}, ${write.startOffset}, ${endOffset}, ${write.text}, ${write.epoch}
      from advanced
      where ${write.text !== ""}::boolean
      returning end_offset
    )
    select ${endOffset}::bigint as end_offset,
           pg_notify(${SESSION_LOG_CHANNEL}, json_build_object('s', ${write.sessionId}::text, 'o', ${endOffset}::bigint)::text)
    from advanced`;
  if (rows.length === 1) return "ok";
  // Nothing advanced: either we were fenced, or this write already landed and only its reply was lost.
  const [state] = await sql<{ epoch: number; durable_offset: number; chunk_end: number | null }[]>`
    select s.epoch, s.durable_offset,
           (select c.end_offset from session_chunks c
             where c.session_id = s.id and c.start_offset = ${write.startOffset} and c.epoch = ${write.epoch}) as chunk_end
    from sessions s where s.id = ${write.sessionId}`;
  if (state && state.epoch === write.epoch && state.chunk_end === endOffset) return "duplicate";
  if (
    state &&
    state.epoch === write.epoch &&
    write.text === "" &&
    state.durable_offset === write.startOffset
  ) {
    return "duplicate";
  }
  return "fenced";
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

/** Announces a status change (terminal or handoff) to every reader of the session. */
export async function notifySessionChanged(
  sql: Sql,
  sessionId: string,
  offset: number,
  status: string,
): Promise<void> {
  await sql`select pg_notify(${SESSION_LOG_CHANNEL}, ${JSON.stringify({ s: sessionId, o: offset, st: status })})`;
}
