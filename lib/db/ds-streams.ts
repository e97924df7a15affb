import type { TransactionSql } from "postgres";
import type { Sql } from "./client.ts";
import { type NotifyChannel, sendNotify } from "./notify-payloads.ts";

/** The NOTIFY channel every append, close and delete of an other stream is announced on (payload: id). */
export const DS_STREAM_CHANNEL = "ds_stream" satisfies NotifyChannel;

/** An other stream's row (`ds_streams`). */
export interface DsStreamRow {
  id: number;
  path: string;
  contentType: string;
  ttlSeconds: number | null;
  expiresAtText: string | null;
  nextOffset: number;
  closed: boolean;
  closedBy: ProducerTuple | null;
  lastSeq: string | null;
}

/** A producer's (id, epoch, seq): the one that closed a stream, or one appending. */
export interface ProducerTuple {
  id: string;
  epoch: number;
  seq: number;
}

export interface DsChunk {
  startOffset: number;
  endOffset: number;
  data: Buffer;
}

type Fragment = ReturnType<Sql>;

/** Past its `Stream-Expires-At`, or idle longer than its `Stream-TTL`. */
function expired(sql: Sql | TransactionSql): Fragment {
  return sql`((expires_at is not null and expires_at <= now())
      or (ttl_seconds is not null and last_access_at + make_interval(secs => ttl_seconds) <= now()))`;
}

const COLUMNS = `id::int8 as "id", path, content_type as "contentType", ttl_seconds as "ttlSeconds",
  expires_at_text as "expiresAtText", next_offset::int8 as "nextOffset", closed, closed_by as "closedBy",
  last_seq as "lastSeq"`;

/**
 * The live stream at `path`, or null. An expired one is deleted on the way (expiry is lazy: nothing
 * sweeps). `touch` slides its TTL window (reads and appends do; HEAD does not).
 */
export async function getDsStream(sql: Sql, path: string, touch: boolean): Promise<DsStreamRow | null> {
  const rows = touch
    ? await sql<DsStreamRow[]>`
        with gone as (delete from ds_streams where path = ${path} and ${expired(sql)} returning id)
        update ds_streams set last_access_at = now()
        where path = ${path} and not ${expired(sql)}
        returning ${sql.unsafe(COLUMNS)}`
    : await sql<DsStreamRow[]>`
        with gone as (delete from ds_streams where path = ${path} and ${expired(sql)} returning id)
        select ${sql.unsafe(COLUMNS)} from ds_streams where path = ${path} and not ${expired(sql)}`;
  return rows[0] ?? null;
}

/** The stream's row by id (a reader's refresh): null once deleted or expired. */
export async function getDsStreamById(sql: Sql, id: number): Promise<DsStreamRow | null> {
  const [row] = await sql<DsStreamRow[]>`
    select ${sql.unsafe(COLUMNS)} from ds_streams where id = ${id} and not ${expired(sql)}`;
  return row ?? null;
}

/** The live stream at `path`, locked for the rest of the transaction `tx`. */
export async function lockDsStream(tx: TransactionSql, path: string): Promise<DsStreamRow | null> {
  await tx`delete from ds_streams where path = ${path} and ${expired(tx)}`;
  const [row] = await tx<DsStreamRow[]>`
    select ${tx.unsafe(COLUMNS)} from ds_streams where path = ${path} for update`;
  return row ?? null;
}

export interface NewDsStream {
  path: string;
  contentType: string;
  ttlSeconds: number | null;
  expiresAtText: string | null;
  expiresAt: Date | null;
  closed: boolean;
  /** Already in stored form (JSON mode: values joined by commas, trailing comma). */
  initialData: Buffer;
}

/** Inserts a stream (and its initial bytes) in `tx`; null when the path was taken meanwhile. */
export async function insertDsStream(tx: TransactionSql, stream: NewDsStream): Promise<DsStreamRow | null> {
  const [row] = await tx<DsStreamRow[]>`
    insert into ds_streams (path, content_type, ttl_seconds, expires_at_text, expires_at, closed, next_offset)
    values (${stream.path}, ${stream.contentType}, ${stream.ttlSeconds}, ${stream.expiresAtText},
            ${stream.expiresAt}, ${stream.closed}, ${stream.initialData.length})
    on conflict (path) do nothing
    returning ${tx.unsafe(COLUMNS)}`;
  if (!row) return null;
  if (stream.initialData.length > 0) {
    await tx`insert into ds_chunks (stream_id, start_offset, end_offset, data)
             values (${row.id}, 0, ${stream.initialData.length}, ${stream.initialData})`;
  }
  return row;
}

/** Deletes the live stream at `path` (its chunks and producers with it): false when there was none. */
export async function deleteDsStream(sql: Sql, path: string): Promise<boolean> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ id: number }[]>`
      with gone as (delete from ds_streams where path = ${path} and ${expired(tx)} returning id),
      deleted as (delete from ds_streams where path = ${path} and not ${expired(tx)} returning id)
      select id::int8 as id from deleted`;
    for (const { id } of rows) await sendNotify(tx, DS_STREAM_CHANNEL, { id });
    return rows.length > 0;
  });
}

/**
 * Chunks that end after `fromOffset` and start before `fromOffset + maxBytes`, in order. The lower
 * bound (the chunk holding `fromOffset`) keeps this an index range scan however far in.
 */
export async function readDsChunks(
  sql: Sql,
  streamId: number,
  fromOffset: number,
  maxBytes: number,
): Promise<DsChunk[]> {
  return sql<DsChunk[]>`
    select start_offset::int8 as "startOffset", end_offset::int8 as "endOffset", data
    from ds_chunks
    where stream_id = ${streamId}
      and start_offset >= (select coalesce(max(start_offset), 0) from ds_chunks
                           where stream_id = ${streamId} and start_offset <= ${fromOffset})
      and start_offset < ${fromOffset + maxBytes}
      and end_offset > ${fromOffset}
    order by start_offset`;
}

/** Where the chunk holding byte `offset` ends; `offset` itself when no chunk holds it. */
export async function dsChunkEndAfter(sql: Sql, streamId: number, offset: number): Promise<number> {
  const [row] = await sql<{ end: number | null }[]>`
    select min(end_offset)::int8 as end from ds_chunks where stream_id = ${streamId} and end_offset >= ${offset}`;
  return row?.end ?? offset;
}
