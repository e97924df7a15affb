import type { Sql } from "./client.ts";
import type { LogChunk } from "./session-log.ts";

/** Consecutive log rows joined into one: `epoch` is the highest of the rows joined. */
export interface LogRun extends LogChunk {
  /** How many rows were joined. */
  rows: number;
}

/**
 * Reads at most `rowLimit` log rows ending after `fromOffset` and joins consecutive ones into runs of
 * about `runBytes` (a run closes at the first row that starts past `runBytes`; rows are at most
 * CHECKPOINT_BYTES), so a replay costs one event per run, not per row. Rows split only on character
 * boundaries, so their concatenation does too.
 */
export async function readLogRuns(
  sql: Sql,
  sessionId: string,
  fromOffset: number,
  rowLimit: number,
  runBytes: number,
): Promise<LogRun[]> {
  return sql<LogRun[]>`
    select min(start_offset)::int8 as "startOffset", max(end_offset)::int8 as "endOffset",
           string_agg(text, '' order by start_offset) as text, max(epoch)::int as epoch,
           count(*)::int as rows
    from (
      select start_offset, end_offset, text, epoch,
             sum(octet_length(text)) over (order by start_offset) - octet_length(text) as bytes_before
      from (
        select start_offset, end_offset, text, epoch from session_chunks
        where session_id = ${sessionId} and end_offset > ${fromOffset}
        order by start_offset
        limit ${rowLimit}
      ) page
    ) numbered
    group by bytes_before / ${runBytes}
    order by 1`;
}

/**
 * Where a reader holding bytes up to `offset` from producers of epoch `generation` or older must
 * rewind to: the start of the first row a newer producer wrote below `offset`, or null if none did.
 */
export async function findNewerRowBelow(
  sql: Sql,
  sessionId: string,
  generation: number,
  offset: number,
): Promise<number | null> {
  const [row] = await sql<{ start: number | null }[]>`
    select min(start_offset)::int8 as start from session_chunks
    where session_id = ${sessionId} and epoch > ${generation} and start_offset < ${offset}`;
  return row?.start ?? null;
}
