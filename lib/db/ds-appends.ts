import type { TransactionSql } from "postgres";
import { DS_STREAM_CHANNEL, type ProducerTuple } from "./ds-streams.ts";
import { sendNotify } from "./notify-payloads.ts";

/** A producer's last accepted (epoch, seq) on a stream. */
export interface ProducerState {
  epoch: number;
  lastSeq: number;
}

/** The producer's state on the stream, read inside the transaction that holds the stream's lock. */
export async function getDsProducer(
  tx: TransactionSql,
  streamId: number,
  producerId: string,
): Promise<ProducerState | null> {
  const [row] = await tx<ProducerState[]>`
    select epoch::int8 as epoch, last_seq::int8 as "lastSeq" from ds_producers
    where stream_id = ${streamId} and producer_id = ${producerId}`;
  return row ?? null;
}

export interface DsWrite {
  streamId: number;
  /** Where the stream ends now (the caller holds its lock). */
  startOffset: number;
  /** Stored form; may be empty (a close without data). */
  data: Buffer;
  /** `Stream-Seq` of this append, kept for the next one's ordering check. */
  seq: string | null;
  close: boolean;
  /** The producer whose (epoch, seq) this write advances to, if any. */
  producer: ProducerTuple | null;
}

/**
 * Appends (and/or closes) in one statement inside the caller's transaction: the chunk, the stream's
 * new end, its Stream-Seq, closure (with the closing producer's tuple, so its retry is recognised),
 * the producer's new state; then announces it on DS_STREAM_CHANNEL. Returns the new end.
 */
export async function writeDsStream(tx: TransactionSql, write: DsWrite): Promise<number> {
  const endOffset = write.startOffset + write.data.length;
  const producer = write.producer;
  if (write.data.length > 0) {
    await tx`insert into ds_chunks (stream_id, start_offset, end_offset, data)
             values (${write.streamId}, ${write.startOffset}, ${endOffset}, ${write.data})`;
  }
  const closedBy = write.close && producer ? tx.json(producer as never) : null;
  await tx`
    update ds_streams
    set next_offset = ${endOffset},
        last_seq = coalesce(${write.seq}, last_seq),
        closed = closed or ${write.close},
        closed_by = case when ${write.close} then ${closedBy}::jsonb else closed_by end,
        last_access_at = now()
    where id = ${write.streamId}`;
  if (producer) {
    await tx`
      insert into ds_producers (stream_id, producer_id, epoch, last_seq)
      values (${write.streamId}, ${producer.id}, ${producer.epoch}, ${producer.seq})
      on conflict (stream_id, producer_id)
      do update set epoch = excluded.epoch, last_seq = excluded.last_seq, updated_at = now()`;
  }
  await sendNotify(tx, DS_STREAM_CHANNEL, { id: write.streamId });
  return endOffset;
}
