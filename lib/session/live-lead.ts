import type { SessionFeed } from "./events.ts";
import type { LogMark } from "./ports.ts";

/** A delta (`text`, the byte offset after it) or a mark (at its offset) waiting for the lead. */
type Held = { text: string; offset: number; mark?: undefined } | { mark: LogMark; offset: number };

/**
 * The live client's lead over the durable log (DESIGN §4): a live runner's deltas reach its client
 * at once while the client is at most `maxAheadBytes` (CHECKPOINT_BYTES) past the durable offset,
 * and are held back beyond that until the checkpoint that carries them lands. If the runner dies in
 * that window, a reader loses (and is rewound past) at most that many bytes.
 *
 * Invariants: every delta sent carries the offset right after the bytes the client then holds (held
 * deltas go out joined, with the offset of the last one and where each ended); marks go out in their
 * place among the deltas; nothing goes out once the runner is fenced.
 */
export class LiveLead {
  readonly #feed: SessionFeed | undefined;
  readonly #maxAheadBytes: number;
  #durable: number;
  #held: Held[] = [];
  #head = 0;
  #fenced = false;

  constructor(feed: SessionFeed | undefined, durableOffset: number, maxAheadBytes: number) {
    this.#feed = feed;
    this.#durable = durableOffset;
    this.#maxAheadBytes = maxAheadBytes;
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

  /** The log is durable up to `offset`: held deltas within the lead go out. */
  durable(offset: number): void {
    if (offset <= this.#durable) return;
    this.#durable = offset;
    this.#release();
  }

  /** Another producer owns the session: what is held is not ours to send, nor anything after it. */
  fence(): void {
    this.#fenced = true;
    this.#held = [];
    this.#head = 0;
  }

  #release(): void {
    const from = this.#head;
    const limit = this.#durable + this.#maxAheadBytes;
    while (this.#head < this.#held.length && this.#held[this.#head]!.offset <= limit) this.#head += 1;
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
