import type { Sql } from "../db/client.ts";
import { ChannelListener } from "../db/listen.ts";
import { decodeNotify } from "../db/notify-payloads.ts";
import { CONTROL_CHANNEL } from "../db/session-lease.ts";

interface Running {
  cancel: AbortController;
  /** Stop producing without ending the session: this process is going away (deploy, scale-in). */
  yield: AbortController;
}

export interface RegisteredRunner {
  signal: AbortSignal;
  yieldSignal: AbortSignal;
  release(): void;
}

/**
 * The runners of one process, so a cancel request (from any process, via NOTIFY on CONTROL_CHANNEL)
 * aborts the one producing the session, and a shutdown can ask all of them to let go. Owned by the
 * process's `SessionRuntime`.
 */
export class RunnerRegistry {
  readonly #running = new Map<string, Running>();
  readonly #listener: ChannelListener;
  #emptied: (() => void)[] = [];

  constructor(sql: Sql) {
    this.#listener = new ChannelListener(sql, CONTROL_CHANNEL, (raw) => {
      const message = decodeNotify(CONTROL_CHANNEL, raw);
      if (message?.a === "cancel") this.#running.get(message.s)?.cancel.abort("cancel");
    });
  }

  /** Registers a runner; call `release` when it ends. */
  async register(sessionId: string): Promise<RegisteredRunner> {
    await this.#listener.ready();
    const entry: Running = { cancel: new AbortController(), yield: new AbortController() };
    this.#running.set(sessionId, entry);
    return {
      signal: entry.cancel.signal,
      yieldSignal: entry.yield.signal,
      release: () => {
        if (this.#running.get(sessionId) === entry) this.#running.delete(sessionId);
        if (this.#running.size > 0) return;
        for (const resolve of this.#emptied.splice(0)) resolve();
      },
    };
  }

  /** Sessions this process is producing right now. */
  runningSessionIds(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Asks every runner to stop producing and hand its session on (live runners hand off to the
   * background; workers release their lease). Resolves once all of them let go, or after `timeoutMs`.
   */
  async yieldAll(timeoutMs = 20_000): Promise<void> {
    for (const entry of this.#running.values()) entry.yield.abort("shutdown");
    if (this.#running.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#emptied.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }
}
