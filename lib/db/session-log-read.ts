import type { Sql } from "./client.ts";
import type { LogChunk } from "./session-log.ts";

/**
 * The width of the windows replay joins rows in (and compaction merges rows in): rows starting in the
 * same window of the log become one run. Compaction (`compactSessionLog`) relies on this grouping
 * being a function of each row's start offset and epoch only, so merged rows replay the same runs.
 */
export const LOG_RUN_BYTES = 64 * 1024;

/** Consecutive log rows joined into one: `epoch` is the highest of the rows joined. */
export interface LogRun extends LogChunk {
  /** How many rows were joined. */
  rows: number;
}

/** Where a page of `pageBytes` from `fromOffset` ends: rounded up to a whole `runBytes` window. */
export function logPageEnd(fromOffset: number, pageBytes: number, runBytes: number): number {
  return Math.ceil((fromOffset + pageBytes) / runBytes) * runBytes;
}

/**
 * Reads the log rows that end after `fromOffset` and start before `fromOffset + pageBytes` (rounded up
 * to a whole `runBytes` window), joined into runs: rows starting in the same `runBytes` window of the
 * log become one run, so a run holds at most `runBytes` plus one row and a replay costs one event per
 * run, not per row. Rows split only on character boundaries, so their concatenation does too.
 *
 * Invariant (compaction depends on it): a page holds whole windows, so the runs a replay sends do not
 * depend on how the rows of a window are cut — a compacted log replays byte for byte as before.
 */
export async function readLogRuns(
  sql: Sql,
  sessionId: string,
  fromOffset: number,
  pageBytes: number,
  runBytes: number,
): Promise<LogRun[]> {
  // The lower bound (the row holding `fromOffset`) keeps this an index range scan however far in.
  return sql<LogRun[]>`
    select min(start_offset)::int8 as "startOffset", max(end_offset)::int8 as "endOffset",
           string_agg(text, '' order by start_offset) as text, max(epoch)::int as epoch,
           count(*)::int as rows
    from session_chunks
    where session_id = ${sessionId}
      and start_offset >= (select coalesce(max(start_offset), 0) from session_chunks
                           where session_id = ${sessionId} and start_offset <= ${fromOffset})
      and start_offset < ${logPageEnd(fromOffset, pageBytes, runBytes)}
      and end_offset > ${fromOffset}
    group by start_offset / ${runBytes}
    order by 1`;
}

/**
 * Where a reader holding bytes up to `offset` from producers of epoch `epoch` or older must
 * rewind to: the start of the first row a newer producer wrote below `offset`, or null if none did.
 */
export async function findNewerRowBelow(
  sql: Sql,
  sessionId: string,
  epoch: number,
  offset: number,
): Promise<number | null> {
  const [row] = await sql<{ start: number | null }[]>`
    select min(start_offset)::int8 as start from session_chunks
    where session_id = ${sessionId} and epoch > ${epoch} and start_offset < ${offset}`;
  return row?.start ?? null;
}
