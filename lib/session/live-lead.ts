import type { SessionFeed } from "./events.ts";
import type { LogMark } from "./ports.ts";

/** A delta (`text`, the byte offset after it) or a mark (at its offset) waiting for the lead. */
type Held = { text: string; offset: number; mark?: undefined } | { mark: LogMark; offset: number };

/**
 * At most this many deltas and marks reach a live client before the checkpoint carrying them lands
 * (the checkpointer of a live runner writes at once when that many wait). The AI SDK reader counts
 * chunks, and a dead producer's undurable chunks are covered by a fixed run of padding chunks at its
 * seam (`lib/ui-stream/sequence.ts`): this bound sizes that run.
 */
export const LIVE_LEAD_EVENTS = 128;

/**
 * Whether a write of `bytes` bytes and `marks` puts its producer's step in the log: a byte, its
 * runner mark or a tool call (progress alone opens no step). The checkpointer and the live lead
 * both ask it.
 */
export function opensStep(bytes: number, marks: readonly LogMark[]): boolean {
  return bytes > 0 || marks.some((mark) => mark.kind !== "progress");
}

/** One landed checkpoint write: the log is durable up to `to` and holds `marks`. */
export interface LandedWrite {
  to: number;
  marks: readonly LogMark[];
}

/**
 * The live client's lead over the durable log (DESIGN §4): a live runner's deltas reach its client
 * at once while the client is at most `maxAheadBytes` (CHECKPOINT_BYTES) past the durable offset,
 * and are held back beyond that until the checkpoint that carries them lands. If the runner dies in
 * that window, a reader loses (and is rewound past) at most that many bytes.
 *
 * Invariants: every delta sent carries the offset right after the bytes the client then holds (held
 * deltas go out joined, with the offset of the last one and where each ended); marks go out in their
 * place among the deltas; nothing goes out once the runner is fenced.
 *
 * For the AI SDK reader (issue 18, `reset-step`), two more: nothing undurable goes out before this
 * producer's step is in the log (a write carrying its runner mark, a byte or a tool call landed; the
 * runner mark goes with the first write, at once, usually long before the agent's first token), so
 * a step the client saw always exists in every replay; and at most `maxAheadEvents` deltas and marks are out but not
 * durable.
 */
export class LiveLead {
  readonly #feed: SessionFeed | undefined;
  readonly #maxAheadBytes: number;
  readonly #maxAheadEvents: number;
  #durable: number;
  /** The highest mark `seq` a landed write carried (marks land in the order they were made). */
  #durableMarkSeq = -1;
  /** Whether a write of this producer carrying a byte, its runner mark or a tool call landed: its step is in the log. */
  #opened = false;
  #held: Held[] = [];
  #head = 0;
  /** Sent deltas and marks not known durable yet, oldest first. */
  #undurable: Held[] = [];
  #fenced = false;

  constructor(
    feed: SessionFeed | undefined,
    durableOffset: number,
    maxAheadBytes: number,
    maxAheadEvents = LIVE_LEAD_EVENTS,
  ) {
    this.#feed = feed;
    this.#durable = durableOffset;
    this.#maxAheadBytes = maxAheadBytes;
    this.#maxAheadEvents = maxAheadEvents;
  }

  /** A delta the checkpointer took; `offset` is the byte offset after it. */
  push(text: string, offset: number): void {
    if (!this.#feed || this.#fenced || text === "") return;
    this.#held.push({ text, offset });
    this.#release();
  }

  /** A mark the checkpointer took: it goes out after the deltas before it. */
  mark(mark: LogMark | null): void {
    if (!this.#feed || this.#fenced || mark === null) return;
    this.#held.push({ mark, offset: mark.at });
    this.#release();
  }

  /** A checkpoint write landed: the log is durable up to `write.to` with its marks; held output within the lead goes out. */
  landed(write: LandedWrite): void {
    for (const mark of write.marks) this.#durableMarkSeq = Math.max(this.#durableMarkSeq, mark.seq);
    if (opensStep(write.to - this.#durable, write.marks)) this.#opened = true;
    if (write.to > this.#durable) this.#durable = write.to;
    let durable = 0;
    while (durable < this.#undurable.length && this.#isDurable(this.#undurable[durable]!)) durable += 1;
    if (durable > 0) this.#undurable = this.#undurable.slice(durable);
    this.#release();
  }

  #isDurable(item: Held): boolean {
    return item.mark === undefined ? item.offset <= this.#durable : item.mark.seq <= this.#durableMarkSeq;
  }

  /** Another producer owns the session: what is held is not ours to send, nor anything after it. */
  fence(): void {
    this.#fenced = true;
    this.#held = [];
    this.#head = 0;
  }

  /** Whether `item` may go out now: it is in the log, or within the lead once our step is. */
  #mayRelease(item: Held): boolean {
    if (this.#isDurable(item)) return true;
    return (
      this.#opened &&
      item.offset <= this.#durable + this.#maxAheadBytes &&
      this.#undurable.length < this.#maxAheadEvents
    );
  }

  #release(): void {
    const from = this.#head;
    while (this.#head < this.#held.length && this.#mayRelease(this.#held[this.#head]!)) {
      const item = this.#held[this.#head++]!;
      if (!this.#isDurable(item)) this.#undurable.push(item);
    }
    if (this.#head === from) return;
    const released = this.#held.slice(from, this.#head);
    // Sent deltas leave the queue in bulk, so a long stall costs no quadratic shifting.
    if (this.#head === this.#held.length || this.#head > 1024) {
      this.#held = this.#held.slice(this.#head);
      this.#head = 0;
    }
    let deltas: { text: string; offset: number }[] = [];
    for (const item of released) {
      if (item.mark === undefined) {
        deltas.push(item);
        continue;
      }
      this.#emitDeltas(deltas);
      deltas = [];
      this.#feed?.emit({ type: "mark", mark: item.mark });
    }
    this.#emitDeltas(deltas);
  }

  #emitDeltas(deltas: { text: string; offset: number }[]): void {
    if (deltas.length === 0) return;
    const offset = deltas.at(-1)!.offset;
    if (deltas.length === 1) this.#feed?.emit({ type: "delta", text: deltas[0]!.text, offset });
    else {
      const text = deltas.map((delta) => delta.text).join("");
      this.#feed?.emit({ type: "delta", text, offset, ends: deltas.map((delta) => delta.offset) });
    }
  }
}
