import type { ProducerState } from "../db/ds-appends.ts";
import type { ProducerTuple } from "../db/ds-streams.ts";

/**
 * What an idempotent producer's write is (PROTOCOL.md §5.2.1, Kafka-style):
 * - `accepted`: the next write of this producer (a new producer or a new epoch starts at seq 0);
 * - `duplicate`: a retry of a write already stored (answered 204, stored once);
 * - `stale_epoch`: a zombie fenced by a newer epoch (403 with the current `Producer-Epoch`);
 * - `epoch_without_zero`: a new epoch must start at seq 0 (400);
 * - `sequence_gap`: a write went missing before this one (409 with `Producer-Expected-Seq`).
 *
 * This is the runner's rule for session logs too (DESIGN §1): taking a session over raises its epoch,
 * and a write from an older epoch is fenced out, exactly as `stale_epoch` fences a zombie producer.
 */
export type ProducerVerdict =
  | { kind: "accepted" }
  | { kind: "duplicate"; lastSeq: number }
  | { kind: "stale_epoch"; currentEpoch: number }
  | { kind: "epoch_without_zero" }
  | { kind: "sequence_gap"; expectedSeq: number; receivedSeq: number };

/** Decides a producer's write against its last accepted state (null: never seen on this stream). */
export function judgeProducerWrite(state: ProducerState | null, write: ProducerTuple): ProducerVerdict {
  if (state === null) {
    return write.seq === 0
      ? { kind: "accepted" }
      : { kind: "sequence_gap", expectedSeq: 0, receivedSeq: write.seq };
  }
  if (write.epoch < state.epoch) return { kind: "stale_epoch", currentEpoch: state.epoch };
  if (write.epoch > state.epoch)
    return write.seq === 0 ? { kind: "accepted" } : { kind: "epoch_without_zero" };
  if (write.seq <= state.lastSeq) return { kind: "duplicate", lastSeq: state.lastSeq };
  if (write.seq === state.lastSeq + 1) return { kind: "accepted" };
  return { kind: "sequence_gap", expectedSeq: state.lastSeq + 1, receivedSeq: write.seq };
}

/** Whether `write` is the very tuple that closed the stream (its retry). */
export function isClosingTuple(closedBy: ProducerTuple | null, write: ProducerTuple | null): boolean {
  return (
    closedBy !== null &&
    write !== null &&
    closedBy.id === write.id &&
    closedBy.epoch === write.epoch &&
    closedBy.seq === write.seq
  );
}
