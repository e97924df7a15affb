/** How often a process re-checks what its readers watch, in case a notification was lost. */
export const SAFETY_CHECK_MS = 5000;

/**
 * The readers of a process-wide LISTEN, by key (a session, a stream), and what the safety check last
 * saw of each key (`Seen`). While any key is watched, `safetyCheck` runs every SAFETY_CHECK_MS (one
 * query for all keys catches a lost notification); a key's last unsubscribe forgets what was seen of
 * it, and the last unsubscribe of all stops the timer.
 */
export class ListenerRegistry<K, L, Seen> {
  readonly #byKey = new Map<K, Set<L>>();
  readonly #seen = new Map<K, Seen>();
  readonly #safetyCheck: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(safetyCheck: () => void) {
    this.#safetyCheck = safetyCheck;
  }

  /** Adds `listener` for `key`; the result removes it. */
  add(key: K, listener: L): () => void {
    let set = this.#byKey.get(key);
    if (!set) {
      set = new Set();
      this.#byKey.set(key, set);
    }
    set.add(listener);
    this.#timer ??= setInterval(this.#safetyCheck, SAFETY_CHECK_MS).unref();
    return () => {
      set.delete(listener);
      if (set.size > 0) return;
      this.#byKey.delete(key);
      this.#seen.delete(key);
      if (this.#byKey.size > 0) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  has(key: K): boolean {
    return this.#byKey.has(key);
  }

  /** The listeners of `key` (none when nobody watches it). */
  of(key: K): Iterable<L> {
    return this.#byKey.get(key) ?? [];
  }

  /** The watched keys. */
  keys(): K[] {
    return [...this.#byKey.keys()];
  }

  /** What was last seen of `key` (undefined before the first look, or once nobody watches it). */
  seen(key: K): Seen | undefined {
    return this.#seen.get(key);
  }

  see(key: K, value: Seen): void {
    this.#seen.set(key, value);
  }
}
