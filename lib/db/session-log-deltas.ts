import type { LogMarkKind } from "../session/ports.ts";
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

/** A producer's mark as readers get it (see `session_marks`), ordered by (at, epoch, seq). */
export interface StoredMark {
  at: number;
  epoch: number;
  seq: number;
  kind: LogMarkKind;
  data: Record<string, unknown>;
}

/** Where a reader stands in the marks: the last one it consumed (null: none yet). */
export type MarkCursor = Pick<StoredMark, "at" | "epoch" | "seq"> | null;

/**
 * One page for the AI SDK replay, in one round trip: log rows starting at or after `fromOffset` (a
 * row boundary), in order, at most `limit` of them; and the marks after `after` up to the page's end
 * (the last row's end, or `fromOffset` when there is no row), in order.
 */
export async function readLogPageWithMarks(
  sql: Sql,
  sessionId: string,
  fromOffset: number,
  limit: number,
  after: MarkCursor,
): Promise<{ rows: LogRowWithDeltas[]; marks: StoredMark[] }> {
  const [at, epoch, seq] = after ? [after.at, after.epoch, after.seq] : [-1, 0, 0];
  const rows = await sql<
    {
      start_offset: string;
      end_offset: string;
      text: string | null;
      epoch: number;
      delta_ends: string | null;
      seq: number | null;
      kind: LogMarkKind | null;
      data: Record<string, unknown> | null;
    }[]
  >`
    with page as (
      -- As text, parsed once (a live answer has 65,536 ends per MiB: no array parser per element).
      select start_offset, end_offset, text, epoch, delta_ends::text as delta_ends from session_chunks
      where session_id = ${sessionId} and start_offset >= ${fromOffset}
      order by start_offset
      limit ${limit}
    )
    select start_offset, end_offset, text, epoch, delta_ends, null::integer as seq, null::text as kind,
           null::jsonb as data
    from page
    union all
    (select m.at, m.at, null, m.epoch, null, m.seq, m.kind, m.data from session_marks m
     where m.session_id = ${sessionId} and (m.at, m.epoch, m.seq) > (${at}::bigint, ${epoch}::integer, ${seq}::integer)
       and m.at <= coalesce((select max(end_offset) from page), ${fromOffset}::bigint)
     order by m.at, m.epoch, m.seq)`;
  const page: { rows: LogRowWithDeltas[]; marks: StoredMark[] } = { rows: [], marks: [] };
  for (const row of rows) {
    if (row.kind === null) {
      page.rows.push({
        startOffset: Number(row.start_offset),
        endOffset: Number(row.end_offset),
        text: row.text ?? "",
        epoch: row.epoch,
        deltaEnds: row.delta_ends === null ? null : parseOffsetArray(row.delta_ends),
      });
    } else {
      page.marks.push({
        at: Number(row.start_offset),
        epoch: row.epoch,
        seq: row.seq ?? 0,
        kind: row.kind,
        data: row.data ?? {},
      });
    }
  }
  // A union's order is not guaranteed: both lists sort back in place (they come almost sorted).
  page.rows.sort((a, b) => a.startOffset - b.startOffset);
  page.marks.sort((a, b) => a.at - b.at || a.epoch - b.epoch || a.seq - b.seq);
  return page;
}

/** A Postgres `bigint[]` literal of non-negative offsets (`{64,128}`, `{}`) as numbers. */
export function parseOffsetArray(literal: string): number[] {
  const offsets: number[] = [];
  let value = -1;
  for (let i = 1; i < literal.length; i++) {
    const code = literal.charCodeAt(i);
    if (code >= 48 && code <= 57) value = (value < 0 ? 0 : value * 10) + (code - 48);
    else if (value >= 0) {
      offsets.push(value);
      value = -1;
    }
  }
  return offsets;
}
