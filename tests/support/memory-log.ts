import type { AppendCheckpoint } from "../../lib/db/session-log.ts";
import type { CheckpointStore } from "../../lib/session/checkpointer.ts";

interface Row {
  startOffset: number;
  endOffset: number;
  text: string;
  epoch: number;
}

/**
 * An in-memory session log with `appendCheckpoint`'s contract: appends are contiguous and conditional
 * on the writer's epoch; a write that already landed (its reply lost) answers "duplicate"; anything
 * else that does not fit answers "fenced".
 */
export class MemoryLog {
  rows: Row[] = [];
  durableOffset = 0;
  epoch = 1;
  cursor: unknown = null;
  progress: unknown = null;
  /** Writes running at this moment, and the most ever seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  writes: AppendCheckpoint[] = [];
  /** Set once the session ended (`finish`); appends are refused from then on. */
  finished: string | null = null;

  text(): string {
    return this.rows.map((row) => row.text).join("");
  }

  /** Another producer takes the session (handoff, claim): the old writer is fenced from now on. */
  takeOver(): number {
    this.epoch += 1;
    return this.epoch;
  }

  /** Applies one write at once (the database's side of `appendCheckpoint`). */
  apply(write: AppendCheckpoint): "ok" | "duplicate" | "fenced" {
    const bytes = Buffer.byteLength(write.text, "utf8");
    const endOffset = write.startOffset + bytes;
    if (write.epoch === this.epoch && write.startOffset === this.durableOffset && !this.finished) {
      if (write.text)
        this.rows.push({ startOffset: write.startOffset, endOffset, text: write.text, epoch: write.epoch });
      this.durableOffset = endOffset;
      if (write.agentCursor !== undefined) this.cursor = write.agentCursor;
      if (write.progress !== undefined) this.progress = write.progress;
      return "ok";
    }
    const mine = this.rows.some((row) => row.startOffset === write.startOffset && row.epoch === write.epoch);
    if (write.epoch === this.epoch && mine && this.durableOffset >= endOffset) return "duplicate";
    if (
      write.epoch === this.epoch &&
      write.text === "" &&
      this.durableOffset === write.startOffset &&
      !this.finished
    )
      return "duplicate";
    return "fenced";
  }

  /** Ends the session as `finishSession` does: only at the current epoch; repeating it is a no-op. */
  finish(epoch: number, status: string): "ok" | "fenced" {
    if (epoch !== this.epoch) return "fenced";
    this.finished ??= status;
    return "ok";
  }

  /**
   * A store over this log. `before`/`after` run around the database's side of each write (a delay, a
   * failure before it lands, a lost reply after it landed).
   */
  store(hooks: { before?: () => Promise<void>; after?: () => Promise<void> } = {}): CheckpointStore {
    return async (write) => {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        this.writes.push(write);
        await hooks.before?.();
        const result = this.apply(write);
        await hooks.after?.();
        return result;
      } finally {
        this.inFlight -= 1;
      }
    };
  }
}
