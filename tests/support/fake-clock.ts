import type { Clock, TimerHandle } from "../../lib/session/clock.ts";

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock whose time moves only when the test says so. `advance` runs due timers in order and lets
 * the promise chains they start settle before the next one, so interleavings are scripted, not slept.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<TimerHandle, Timer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = {};
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle);
  }

  /** Timers armed and not yet run. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (let next = this.#next(target); next; next = this.#next(target)) {
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Advances in steps until `promise` settles (at most `limitMs` of fake time). */
  async run<T>(promise: Promise<T>, stepMs = 10, limitMs = 600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    for (let spent = 0; !settled; spent += stepMs) {
      if (spent > limitMs) throw new Error(`did not settle within ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
    return watched;
  }

  #next(target: number): [TimerHandle, Timer] | undefined {
    let best: [TimerHandle, Timer] | undefined;
    for (const entry of this.#timers) {
      if (entry[1].at > target) continue;
      if (!best || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[1].seq < best[1].seq))
        best = entry;
    }
    return best;
  }
}

/** Lets every promise chain that can make progress without time passing do so. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
