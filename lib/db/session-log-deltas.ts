import type { Sql } from "./client.ts";

/** One log row with the offsets where its producer's deltas ended (see `session_chunks.delta_ends`). */
export interface LogRowWithDeltas {
  startOffset: number;
  endOffset: number;
  text: string;
  epoch: number;
  /** Delta ends inside (startOffset, endOffset]; null: not recorded, the row is one delta. */
  deltaEnds: number[] | null;
}

/** Log rows starting at or after `fromOffset` (a row boundary), in order, at most `limit` of them. */
export async function readLogRowsWithDeltas(
  sql: Sql,
  sessionId: string,
  fromOffset: number,
  limit: number,
): Promise<LogRowWithDeltas[]> {
  const rows = await sql<
    { start_offset: number; end_offset: number; text: string; epoch: number; delta_ends: string[] | null }[]
  >`
    select start_offset, end_offset, text, epoch, delta_ends from session_chunks
    where session_id = ${sessionId} and start_offset >= ${fromOffset}
    order by start_offset
    limit ${limit}`;
  return rows.map((row) => ({
    startOffset: Number(row.start_offset),
    endOffset: Number(row.end_offset),
    text: row.text,
    epoch: row.epoch,
    deltaEnds: row.delta_ends === null ? null : row.delta_ends.map(Number),
  }));
}
