import type { AppendCheckpoint } from "../db/session-log.ts";

/** Where checkpoints go: `appendCheckpoint` bound to a pool, or a fake in unit tests. */
export type CheckpointStore = (write: AppendCheckpoint) => Promise<"ok" | "duplicate" | "fenced">;

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface CheckpointerOptions {
  store: CheckpointStore;
  sessionId: string;
  epoch: number;
  /** The durable offset the log ends at when this writer starts. */
  startOffset: number;
  intervalMs: number;
  maxBytes: number;
  leaseSeconds: number;
  /** Unflushed bytes above which `push` callers should wait for `drained()` (backpressure). */
  maxBufferedBytes?: number;
  clock?: Clock;
  onRetry?: (error: unknown, attempt: number) => void;
}

const MAX_BACKOFF_MS = 5000;

/**
 * Batches a runner's output into log appends: at most one write every `intervalMs`, whatever the
 * token rate, each holding everything pushed since (in rows of at most `maxBytes`). One write in
 * flight at a time. A failed write is retried with backoff while output keeps
 * arriving; once another writer took the session (epoch moved on) every later call reports "fenced".
 *
 * Invariant: the cursor and progress written with a chunk are those of the last event pushed before
 * it, so re-attaching an agent at the stored cursor continues exactly after the stored bytes.
 */
export class Checkpointer {
  readonly #options: Required<Omit<CheckpointerOptions, "onRetry">> & Pick<CheckpointerOptions, "onRetry">;
  #buffer: string[] = [];
  #bufferedBytes = 0;
  #durableOffset: number;
  #cursor: unknown;
  #progress: unknown;
  #metaDirty = false;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #attempt = 0;
  #fenced = false;
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(options: CheckpointerOptions) {
    this.#options = { maxBufferedBytes: 4 * 1024 * 1024, clock: systemClock, ...options };
    this.#durableOffset = options.startOffset;
  }

  /** Bytes durably in the log (as far as this writer knows). */
  get durableOffset(): number {
    return this.#durableOffset;
  }

  /** Bytes pushed so far: the offset after the last pushed text. */
  get offset(): number {
    return this.#durableOffset + this.#bufferedBytes;
  }

  get fenced(): boolean {
    return this.#fenced;
  }

  /** True while unflushed output exceeds the memory bound; wait on `drained()` before reading more. */
  get overLimit(): boolean {
    return this.#bufferedBytes > this.#options.maxBufferedBytes;
  }

  /** Adds output (and the agent cursor/progress as of this output) to the next append. */
  push(text: string, meta: { cursor?: unknown; progress?: unknown } = {}): void {
    if (this.#fenced || this.#closed) return;
    if (meta.cursor !== undefined) {
      this.#cursor = meta.cursor;
      this.#metaDirty = true;
    }
    if (meta.progress !== undefined) {
      this.#progress = meta.progress;
      this.#metaDirty = true;
    }
    if (text) {
      this.#buffer.push(text);
      this.#bufferedBytes += Buffer.byteLength(text, "utf8");
    }
    this.#schedule();
  }

  /** Resolves once unflushed output is back under the memory bound (or the writer is fenced). */
  drained(): Promise<void> {
    if (!this.overLimit || this.#fenced) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Writes everything pushed so far, retrying until it lands. Resolves "fenced" if another writer
   * owns the session. Also renews the lease, so it doubles as a heartbeat.
   */
  async flush(): Promise<"ok" | "fenced"> {
    this.#clearTimer();
    while (!this.#fenced) {
      if (this.#inFlight) {
        await this.#inFlight;
        continue;
      }
      if (this.#bufferedBytes === 0 && !this.#metaDirty) return "ok";
      await this.#write(true);
    }
    return "fenced";
  }

  /** Renews the lease (and stores cursor/progress) even when no text arrived, e.g. during a long tool call. */
  async heartbeat(): Promise<"ok" | "fenced"> {
    this.#metaDirty = true;
    return this.flush();
  }

  /** Stops scheduling; pending text stays unwritten unless `flush()` was awaited first. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  #schedule(): void {
    if (this.#fenced || this.#closed || this.#inFlight) return;
    if (this.#bufferedBytes === 0 && !this.#metaDirty) return;
    const { intervalMs, clock } = this.#options;
    const now = clock.now();
    // Leading edge: output is written as soon as the last write is `intervalMs` old, so readers of the
    // log (other devices, the next runner) see it at once after a quiet spell, and a busy stream still
    // costs at most one write per interval.
    const due = Math.max(now, this.#lastWriteAt + intervalMs);
    this.#clearTimer();
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        void this.#write(false);
      },
      Math.max(0, due - now),
    );
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #write(immediateRetry: boolean): Promise<void> {
    const text = this.#buffer.join("");
    const bytes = this.#bufferedBytes;
    const startOffset = this.#durableOffset;
    const cursor = this.#cursor;
    const progress = this.#progress;
    this.#metaDirty = false;
    this.#lastWriteAt = this.#options.clock.now();
    const attempt = (async () => {
      try {
        const result = await this.#options.store({
          sessionId: this.#options.sessionId,
          epoch: this.#options.epoch,
          startOffset,
          text,
          agentCursor: cursor,
          progress,
          leaseSeconds: this.#options.leaseSeconds,
          maxChunkBytes: this.#options.maxBytes,
        });
        if (result === "fenced") {
          this.#fenced = true;
          this.#clearTimer();
          return;
        }
        // Drop exactly what was written; text pushed during the write stays buffered.
        this.#consume(text.length, bytes);
        this.#durableOffset = startOffset + bytes;
        this.#attempt = 0;
      } catch (error) {
        this.#metaDirty = true;
        this.#attempt += 1;
        this.#options.onRetry?.(error, this.#attempt);
        const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.#attempt - 1));
        if (immediateRetry) await new Promise((resolve) => setTimeout(resolve, delay));
        else this.#lastWriteAt = this.#options.clock.now() + delay - this.#options.intervalMs;
      } finally {
        this.#inFlight = undefined;
        this.#wakeWaiters();
        if (!immediateRetry) this.#schedule();
      }
    })();
    this.#inFlight = attempt;
    return attempt;
  }

  #consume(chars: number, bytes: number): void {
    let remaining = chars;
    while (remaining > 0 && this.#buffer.length > 0) {
      const head = this.#buffer[0]!;
      if (head.length <= remaining) {
        remaining -= head.length;
        this.#buffer.shift();
      } else {
        this.#buffer[0] = head.slice(remaining);
        remaining = 0;
      }
    }
    this.#bufferedBytes -= bytes;
  }

  #wakeWaiters(): void {
    if (this.overLimit && !this.#fenced) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
