import type { Clock } from "./clock.ts";
import type { Watchers, WatchState } from "./ports.ts";

/**
 * How often a runner checkpoints, by who is watching (issue 19): every `intervalMs` (CHECKPOINT_MS)
 * while someone watches the session, every `idleIntervalMs` (CHECKPOINT_IDLE_MS) while nobody does.
 * Nobody reads an unwatched session's log live, so its writes can be rarer; the no-byte-lost rules
 * do not depend on the pace (every push is written by the next write, whenever it comes).
 *
 * Until a store answers who watches (a store that never says, e.g. the in-memory log), the session
 * counts as watched: the pace is `intervalMs`, as before watchers existed.
 */
export class CheckpointPace {
  #sessionUntil = Number.POSITIVE_INFINITY;
  #listUntil = Number.NEGATIVE_INFINITY;
  #known = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: { intervalMs: number; idleIntervalMs?: number; maxBytes: number },
  ) {}

  /** Records what a write found: each watch lasts that much longer from now. */
  learn(watchers: Watchers): void {
    const now = this.clock.now();
    this.#known = true;
    this.#sessionUntil = now + Math.max(0, watchers.sessionMs);
    this.#listUntil = now + Math.max(0, watchers.listMs);
  }

  /** Who watches now; undefined until a store said. */
  watch(): WatchState | undefined {
    if (!this.#known) return undefined;
    const now = this.clock.now();
    return { session: now < this.#sessionUntil, list: now < this.#listUntil };
  }

  /**
   * The time between writes for `bufferedBytes` waiting. Unwatched output is still written at the
   * short interval once a row's worth (CHECKPOINT_BYTES) waits, so the undurable tail stays bounded
   * by CHECKPOINT_BYTES and a live runner's client (held within that of the log) is never held up.
   * The idle interval is never shorter than the watched one.
   */
  intervalMs(bufferedBytes: number): number {
    const { intervalMs, idleIntervalMs = intervalMs, maxBytes } = this.options;
    const watched = this.clock.now() < this.#sessionUntil;
    if (watched || bufferedBytes >= maxBytes) return intervalMs;
    return Math.max(intervalMs, idleIntervalMs);
  }
}
