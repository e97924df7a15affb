import { logError } from "../log.ts";

/** How often a process re-checks what its readers wait on, in case a notification was lost. */
export const SAFETY_CHECK_MS = 5000;

/** One watched key: its listeners and what its reader class keeps of it (e.g. what was last seen). */
interface Entry<L, S> {
  readonly listeners: Set<L>;
  readonly state: S;
}

export interface ListenerRegistryOptions<K, S> {
  /** The state of a key at its first listener (dropped at its last unsubscribe). */
  initial(key: K): S;
  /** One query for all watched keys, every SAFETY_CHECK_MS while any key is watched. */
  safetyCheck(keys: K[]): Promise<void>;
  /** Logged (with how many keys) when a safety check throws. */
  failure: string;
}

/**
 * The readers of a process-wide LISTEN (`ChannelListener`), by key (a session, a stream): the
 * listeners of each key with a state of their own, and the safety check, which runs every
 * SAFETY_CHECK_MS while any key is watched (one at a time; a failure is logged and the next one is
 * due anyway). A key's last unsubscribe drops its state; the last unsubscribe of all stops the timer.
 */
export class ListenerRegistry<K, L, S> {
  readonly #entries = new Map<K, Entry<L, S>>();
  readonly #options: ListenerRegistryOptions<K, S>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking = false;

  constructor(options: ListenerRegistryOptions<K, S>) {
    this.#options = options;
  }

  /** Adds `listener` for `key`: the key's state (new at its first listener) and what removes it. */
  add(key: K, listener: L): { state: S; remove: () => void } {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { listeners: new Set(), state: this.#options.initial(key) };
      this.#entries.set(key, entry);
    }
    const { listeners } = entry;
    listeners.add(listener);
    this.#timer ??= setInterval(() => void this.#safetyCheck(), SAFETY_CHECK_MS).unref();
    const remove = () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#entries.get(key)?.listeners !== listeners) return;
      this.#entries.delete(key);
      if (this.#entries.size > 0) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
    return { state: entry.state, remove };
  }

  /** The state of a watched key (undefined once nobody listens to it). */
  state(key: K): S | undefined {
    return this.#entries.get(key)?.state;
  }

  /** The listeners of `key` (none when nobody listens to it). */
  listeners(key: K): Iterable<L> {
    return this.#entries.get(key)?.listeners ?? [];
  }

  /** The watched keys. */
  keys(): K[] {
    return [...this.#entries.keys()];
  }

  async #safetyCheck(): Promise<void> {
    const keys = this.keys();
    if (this.#checking || keys.length === 0) return;
    this.#checking = true;
    try {
      await this.#options.safetyCheck(keys);
    } catch (error) {
      logError(this.#options.failure, { keys: keys.length, error });
    } finally {
      this.#checking = false;
    }
  }
}
