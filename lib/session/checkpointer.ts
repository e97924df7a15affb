import { CheckpointPace } from "./checkpoint-pace.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { opensStep } from "./live-lead.ts";
import type { CheckpointStore, LogMark, LogMarkKind, WatchState } from "./ports.ts";

export type { CheckpointStore } from "./ports.ts";

export interface CheckpointerOptions {
  store: CheckpointStore;
  sessionId: string;
  epoch: number;
  /** The durable offset the log ends at when this writer starts. */
  startOffset: number;
  /** Between writes while the session is watched (CHECKPOINT_MS). */
  intervalMs: number;
  /** Between writes while nobody watches it (CHECKPOINT_IDLE_MS); default `intervalMs`. */
  idleIntervalMs?: number;
  maxBytes: number;
  leaseSeconds: number;
  /**
   * Record where each pushed text ended (`deltaEnds`, default true). Only a producer with a live
   * client needs it: that client got one UI chunk per delta, and a replay must cut where it did.
   * A background producer's text is read only from the log, one delta per row (see `sequence.ts`).
   */
  recordDeltaEnds?: boolean;
  /** Unflushed bytes above which `push` callers should wait for `drained()` (backpressure). */
  maxBufferedBytes?: number;
  clock?: Clock;
  onRetry?: (error: unknown, attempt: number) => void;
  /** Told after each append lands (its bytes are durable), in log order. */
  onDurable?: (append: { from: number; to: number; text: string }) => void;
  /** Told after every write lands, bytes or not: the log's end and the marks it carried. */
  onLanded?: (write: { to: number; marks: readonly LogMark[] }) => void;
  /**
   * A live runner's: its client watches, so it writes every `intervalMs` even when no watch row says
   * so; and at once (never waiting for the interval) while this producer's step is not in the log yet
   * (no write with a byte or a tool call landed), and whenever this many deltas and marks wait. Its
   * client is held to what the log has (`LiveLead`), so these keep it from waiting.
   */
  live?: { maxEvents: number };
  /** Told once, when a write finds that another writer owns the session. */
  onFenced?: () => void;
}

interface Batch {
  startOffset: number;
  text: string;
  bytes: number;
  /** Where each pushed text ended (absolute offsets) and the marks made: the AI SDK reader's chunks. */
  deltaEnds: number[];
  marks: LogMark[];
  cursor: unknown;
  progress: unknown;
  /** The metadata generation the batch carries (see `#metaSeq`). */
  metaSeq: number;
}

interface FlushWaiter {
  offset: number;
  metaSeq: number;
  resolve(result: "ok" | "fenced"): void;
}

const MAX_BACKOFF_MS = 5000;
type Optional =
  | "idleIntervalMs"
  | "recordDeltaEnds"
  | "onRetry"
  | "onDurable"
  | "onLanded"
  | "onFenced"
  | "live";

/**
 * Batches a runner's output into log appends: at most one write every `intervalMs` (or the idle
 * interval while nobody watches: `CheckpointPace`), whatever the token rate, each holding everything
 * pushed since (in rows of at most `maxBytes`). A failed write is
 * retried with backoff while output keeps arriving; once another writer took the session (epoch moved
 * on) every later call reports "fenced".
 *
 * Invariants (a slow database must never cost a byte):
 * - Exactly one write is in flight, always: the timer, `flush()` and the heartbeat all go through
 *   `#startWrite`, which does nothing while `#inFlight` is set.
 * - A batch is cut from the buffer once and re-sent unchanged until the store accepts it, so a
 *   `duplicate` answer (the write landed, its reply was lost) consumes exactly what that write carried,
 *   and text pushed meanwhile waits for the next batch.
 * - `durableOffset` and `offset` only grow.
 * - The cursor and progress written with a batch are those of the last event pushed before it, so
 *   re-attaching an agent at the stored cursor continues exactly after the stored bytes.
 */
export class Checkpointer {
  readonly #options: Required<Omit<CheckpointerOptions, Optional>> & Pick<CheckpointerOptions, Optional>;
  readonly #pace: CheckpointPace;
  #buffer: string[] = [];
  #bufferedBytes = 0;
  #bufferedEnds: number[] = [];
  #bufferedMarks: LogMark[] = [];
  #markSeq = 0;
  #batch: Batch | undefined;
  #durableOffset: number;
  #cursor: unknown;
  #progress: unknown;
  #metaDirty = false;
  /** Raised by every cursor/progress change and heartbeat; `#durableMetaSeq` is the last one stored. */
  #metaSeq = 0;
  #durableMetaSeq = 0;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #retryAt = Number.NEGATIVE_INFINITY;
  #attempt = 0;
  #timer: TimerHandle | undefined;
  /** When the armed `#timer` fires (clock time). */
  #timerDue = 0;
  #inFlight: Promise<void> | undefined;
  /** Whether a write carrying a byte, a runner mark or a tool call of this producer landed. */
  #opened = false;
  #fenced = false;
  #closed = false;
  #drainWaiters: (() => void)[] = [];
  #flushWaiters: FlushWaiter[] = [];

  constructor(options: CheckpointerOptions) {
    this.#options = { maxBufferedBytes: 4 * 1024 * 1024, clock: systemClock, ...options };
    this.#pace = new CheckpointPace(this.#options.clock, options);
    this.#durableOffset = options.startOffset;
  }

  /** Who watches the session and its owner's list, as the last write found (undefined: not known). */
  get watch(): WatchState | undefined {
    return this.#pace.watch();
  }

  /** Bytes durably in the log (as far as this writer knows). */
  get durableOffset(): number {
    return this.#durableOffset;
  }

  /** Bytes pushed so far: the offset after the last pushed text. */
  get offset(): number {
    return this.#durableOffset + this.#unflushedBytes;
  }

  get fenced(): boolean {
    return this.#fenced;
  }

  /** True while unflushed output exceeds the memory bound; wait on `drained()` before reading more. */
  get overLimit(): boolean {
    return this.#unflushedBytes > this.#options.maxBufferedBytes;
  }

  get #unflushedBytes(): number {
    return (this.#batch?.bytes ?? 0) + this.#bufferedBytes;
  }

  get #hasWork(): boolean {
    return this.#batch !== undefined || this.#bufferedBytes > 0 || this.#metaDirty;
  }

  /** Adds output (and the agent cursor/progress as of this output) to the next append. */
  push(text: string, meta: { cursor?: unknown; progress?: unknown } = {}): void {
    if (this.#fenced || this.#closed) return;
    if (meta.cursor !== undefined) {
      this.#cursor = meta.cursor;
      this.#touchMeta();
    }
    if (meta.progress !== undefined) {
      this.#progress = meta.progress;
      this.#touchMeta();
    }
    if (text) {
      this.#buffer.push(text);
      this.#bufferedBytes += Buffer.byteLength(text, "utf8");
      if (this.#options.recordDeltaEnds !== false) this.#bufferedEnds.push(this.offset);
    }
    this.#schedule();
  }

  /** Records a mark at the current offset, written with the next append (null once fenced or closed). */
  mark(kind: LogMarkKind, data: Record<string, unknown>): LogMark | null {
    if (this.#fenced || this.#closed) return null;
    const mark = { seq: this.#markSeq++, at: this.offset, kind, data };
    this.#bufferedMarks.push(mark);
    this.#touchMeta();
    this.#schedule();
    return mark;
  }

  /** Resolves once unflushed output is back under the memory bound (or the writer is fenced). */
  drained(): Promise<void> {
    if (!this.overLimit || this.#fenced) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Writes everything pushed before the call, without waiting for the interval, retrying until it
   * lands. Resolves "fenced" if another writer owns the session. Text pushed after the call does not
   * hold it up (a heartbeat during a fast stream must not chase the buffer).
   */
  flush(): Promise<"ok" | "fenced"> {
    if (this.#fenced) return Promise.resolve("fenced");
    const waiter = { offset: this.offset, metaSeq: this.#metaSeq } as FlushWaiter;
    const done = new Promise<"ok" | "fenced">((resolve) => {
      waiter.resolve = resolve;
    });
    this.#flushWaiters.push(waiter);
    this.#settleFlushWaiters();
    this.#schedule();
    return done;
  }

  /** Renews the lease (and stores cursor/progress) even when no text arrived, e.g. during a long tool call. */
  heartbeat(): Promise<"ok" | "fenced"> {
    if (!this.#fenced) this.#touchMeta();
    return this.flush();
  }

  /** Stops scheduling; pending text stays unwritten unless `flush()` was awaited first. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  /** Arms the one timer for the next write, unless a write is in flight (its end calls us again). */
  #schedule(): void {
    if (this.#fenced || this.#inFlight || !this.#hasWork) return;
    const urgent = this.#flushWaiters.length > 0;
    if (this.#closed && !urgent) return;
    const now = this.#options.clock.now();
    // Leading edge: output is written as soon as the last write is `intervalMs` old, so readers of the
    // log see it at once after a quiet spell, and a busy stream still costs one write per interval.
    // A flush skips the interval but never the backoff of a failed write.
    // A live runner's client watches it, whatever the watch rows say: the short interval.
    const interval = this.#options.live
      ? this.#options.intervalMs
      : this.#pace.intervalMs(this.#bufferedBytes);
    const paced = urgent || this.#liveWaits ? now : this.#lastWriteAt + interval;
    const due = Math.max(now, paced, this.#retryAt);
    // A stream pushes many times per interval: the timer already armed for the same moment stays.
    if (this.#timer !== undefined && this.#timerDue === due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#startWrite();
    }, due - now);
  }

  /** A live runner's client waits for the next write (see `live`). */
  get #liveWaits(): boolean {
    const { live } = this.#options;
    if (!live) return false;
    const events = this.#bufferedEnds.length + this.#bufferedMarks.length;
    if (events >= live.maxEvents) return true;
    return !this.#opened && opensStep(this.#bufferedBytes, this.#bufferedMarks);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #startWrite(): void {
    if (this.#inFlight || this.#fenced) return;
    this.#batch ??= this.#cutBatch();
    this.#lastWriteAt = this.#options.clock.now();
    const batch = this.#batch;
    this.#inFlight = this.#send(batch).finally(() => {
      this.#inFlight = undefined;
      this.#wakeDrainWaiters();
      this.#schedule();
    });
  }

  #cutBatch(): Batch {
    const batch = {
      startOffset: this.#durableOffset,
      text: this.#buffer.join(""),
      bytes: this.#bufferedBytes,
      deltaEnds: this.#bufferedEnds,
      marks: this.#bufferedMarks,
      cursor: this.#cursor,
      progress: this.#progress,
      metaSeq: this.#metaSeq,
    };
    this.#buffer = [];
    this.#bufferedBytes = 0;
    this.#bufferedEnds = [];
    this.#bufferedMarks = [];
    this.#metaDirty = false;
    return batch;
  }

  async #send(batch: Batch): Promise<void> {
    const { store, sessionId, epoch, leaseSeconds, maxBytes, clock } = this.#options;
    try {
      const answer = await store({
        sessionId,
        epoch,
        startOffset: batch.startOffset,
        text: batch.text,
        ...(this.#options.recordDeltaEnds !== false ? { deltaEnds: batch.deltaEnds } : {}),
        ...(batch.marks.length > 0 ? { marks: batch.marks } : {}),
        agentCursor: batch.cursor,
        progress: batch.progress,
        leaseSeconds,
        maxChunkBytes: maxBytes,
      });
      const result = typeof answer === "string" ? answer : answer.outcome;
      if (typeof answer !== "string") this.#pace.learn(answer.watchers);
      if (result === "fenced") return this.#fence();
      // "ok" or "duplicate": this very batch is in the log; text pushed during the write stays buffered.
      this.#batch = undefined;
      this.#durableOffset = batch.startOffset + batch.bytes;
      this.#durableMetaSeq = batch.metaSeq;
      this.#attempt = 0;
      this.#retryAt = Number.NEGATIVE_INFINITY;
      this.#settleFlushWaiters();
      const durable = { from: batch.startOffset, to: this.#durableOffset, text: batch.text };
      if (opensStep(batch.bytes, batch.marks)) this.#opened = true;
      this.#options.onLanded?.({ to: this.#durableOffset, marks: batch.marks });
      if (batch.bytes > 0) this.#options.onDurable?.(durable);
    } catch (error) {
      this.#attempt += 1;
      this.#options.onRetry?.(error, this.#attempt);
      this.#retryAt = clock.now() + Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.#attempt - 1));
    }
  }

  #fence(): void {
    this.#fenced = true;
    this.#clearTimer();
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const waiter of waiters) waiter.resolve("fenced");
    this.#options.onFenced?.();
  }

  #touchMeta(): void {
    this.#metaDirty = true;
    this.#metaSeq += 1;
  }

  #settleFlushWaiters(): void {
    this.#flushWaiters = this.#flushWaiters.filter((waiter) => {
      const durable = this.#durableOffset >= waiter.offset && this.#durableMetaSeq >= waiter.metaSeq;
      if (durable) waiter.resolve("ok");
      return !durable;
    });
  }

  #wakeDrainWaiters(): void {
    if (this.overLimit && !this.#fenced) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
