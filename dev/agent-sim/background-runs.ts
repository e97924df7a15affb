import type { ResponsesEncoder } from "./responses-encoder.ts";
import { type SimFrame, type SseWriter, serializeFrame } from "./sse-writer.ts";

/** OpenAI keeps background response data for roughly 10 minutes. */
export const RETENTION_MS = 10 * 60 * 1000;

/** A wire fault that hits only the connection that created the run (the run itself goes on). */
export interface ConnectionFault {
  kind: "drop" | "malformed";
  /** The fault strikes once every event up to this sequence number was written. */
  afterSequence: number;
}

/**
 * One background response: its events are kept (index = sequence_number) so any number of
 * clients can stream it from any point, while generation runs on its own, independent of them.
 */
export class BackgroundRun {
  readonly events: string[] = [];
  finished = false;
  connectionFault: ConnectionFault | undefined;
  readonly abort = new AbortController();
  #pulse = Promise.withResolvers<void>();

  constructor(
    readonly encoder: ResponsesEncoder,
    readonly streamed: boolean,
    /** `fault=splitutf8` applies to every connection that streams this run. */
    readonly splitUtf8: boolean,
  ) {}

  append(frames: SimFrame[]): void {
    if (this.finished) return; // a cancelled run takes no more events
    for (const frame of frames) this.events.push(serializeFrame(frame));
    this.#wake();
  }

  finish(): void {
    this.finished = true;
    this.#wake();
  }

  #wake(): void {
    this.#pulse.resolve();
    this.#pulse = Promise.withResolvers<void>();
  }

  /**
   * Streams events after `startingAfter` to one client, then follows the run until it ends or the
   * client leaves. `original` marks the creating connection, the only one `connectionFault` hits.
   */
  async follow(
    writer: SseWriter,
    startingAfter: number,
    original: boolean,
    closed: Promise<unknown>,
  ): Promise<void> {
    let next = startingAfter + 1;
    while (!writer.closed) {
      const fault = original ? this.connectionFault : undefined;
      const end = fault ? Math.min(this.events.length, fault.afterSequence + 1) : this.events.length;
      if (next < end) {
        const batch = this.events.slice(next, end).join("");
        next = end;
        await writer.writeRaw(batch);
        continue;
      }
      if (fault && next > fault.afterSequence) {
        if (fault.kind === "drop") return writer.drop();
        await writer.writeRaw(this.encoder.malformed());
        return writer.end();
      }
      if (this.finished) return writer.end();
      await Promise.race([this.#pulse.promise, closed]);
    }
  }
}

/** Every background run of one simulator, each forgotten RETENTION_MS after it ends. */
export class BackgroundRuns {
  readonly #runs = new Map<string, BackgroundRun>();
  readonly #expiryTimers = new Set<NodeJS.Timeout>();

  add(run: BackgroundRun): void {
    this.#runs.set(run.encoder.id, run);
  }

  get(id: string): BackgroundRun | undefined {
    return this.#runs.get(id);
  }

  /** Starts the retention clock of a run that just ended. */
  retire(run: BackgroundRun): void {
    const timer = setTimeout(() => {
      this.#expiryTimers.delete(timer);
      this.#runs.delete(run.encoder.id);
    }, RETENTION_MS);
    timer.unref();
    this.#expiryTimers.add(timer);
  }

  /** Runs still generating. */
  runningCount(): number {
    let count = 0;
    for (const run of this.#runs.values()) if (!run.finished) count++;
    return count;
  }

  closeAll(): void {
    for (const run of this.#runs.values()) run.abort.abort();
    for (const timer of this.#expiryTimers) clearTimeout(timer);
    this.#expiryTimers.clear();
    this.#runs.clear();
  }
}
