import type postgres from "postgres";
import { statusList, TERMINAL_STATUSES } from "../lifecycle.ts";
import type { Sql } from "./client.ts";
import { LOG_RUN_BYTES } from "./session-log-read.ts";

/**
 * Merges a finished session's log rows into one row per replay run, in one statement: rows that
 * start in the same LOG_RUN_BYTES window, were written by the same epoch and lie on the same side of
 * every seam become one row (the first row takes the joined text, the others are deleted). A run may
 * pass the window's end by less than one original row (rows are never cut, so characters never are).
 * A merged row keeps every delta end of its rows (a row without marks: its end), so the AI SDK
 * replay (lib/ui-stream) cuts the text where it did before. Only finished sessions are compacted:
 * their log never changes again. Idempotent: a compacted log has nothing left to merge. Returns how many rows it removed.
 *
 * Invariant: replay (`readLogRuns`) joins rows by the same window of their start offset and reads
 * whole windows per page; epochs and seams are never merged across, so `findNewerRowBelow` (rewinds)
 * and every replay from every offset send the same bytes before and after.
 */
export async function compactSessionLog(
  sql: Sql | postgres.TransactionSql,
  sessionId: string,
): Promise<number> {
  const removed = await sql`
    with rows as (
      select c.start_offset, c.end_offset, c.text, c.epoch,
             -- A row without marks is one delta: merged, it keeps that cut (see session_chunks.delta_ends).
             array_to_string(coalesce(c.delta_ends, array[c.end_offset]), ',') as marks,
             c.start_offset / ${LOG_RUN_BYTES} as run_window,
             (select count(*) from unnest(s.seam_offsets) as seam where seam <= c.start_offset) as seams_before
      from session_chunks c join sessions s on s.id = c.session_id
      where c.session_id = ${sessionId} and s.status in (${sql.unsafe(statusList(TERMINAL_STATUSES))})
    ), runs as (
      select min(start_offset) as start_offset, max(end_offset) as end_offset,
             string_agg(text, '' order by start_offset) as text,
             string_agg(nullif(marks, ''), ',' order by start_offset) as marks
      from rows group by run_window, epoch, seams_before having count(*) > 1
    ), merged as (
      update session_chunks c set end_offset = r.end_offset, text = r.text,
        delta_ends = coalesce(string_to_array(r.marks, ',')::bigint[], '{}')
      from runs r where c.session_id = ${sessionId} and c.start_offset = r.start_offset
      returning c.start_offset
    )
    delete from session_chunks c using runs r
    where c.session_id = ${sessionId} and c.start_offset > r.start_offset and c.start_offset < r.end_offset
    returning c.start_offset`;
  return removed.length;
}

/**
 * The retention sweep: deletes the logs of sessions that finished more than `retentionDays` ago, at
 * most `limit` sessions per call, and marks each (`log_deleted_at`) so a replay answers
 * `gone:session_log` instead of an empty output. One statement; sessions another sweep holds are
 * skipped. Returns the ids whose logs were deleted.
 */
export async function deleteExpiredSessionLogs(
  sql: Sql,
  retentionDays: number,
  limit = 500,
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    with expired as (
      select id from sessions
      where finished_at < now() - make_interval(days => ${retentionDays})
        and log_deleted_at is null and status in (${sql.unsafe(statusList(TERMINAL_STATUSES))})
      order by finished_at
      limit ${limit}
      for update skip locked
    ), marked as (
      update sessions s set log_deleted_at = now() from expired e where s.id = e.id returning s.id
    ), deleted as (
      -- Runs to completion although nothing reads it, as every data-modifying WITH does.
      delete from session_chunks c using marked m where c.session_id = m.id
    ), deleted_marks as (
      delete from session_marks k using marked m where k.session_id = m.id
    )
    select id from marked`;
  return rows.map((row) => row.id);
}
