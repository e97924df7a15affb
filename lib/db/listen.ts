import { logError } from "../log.ts";
import type { Sql } from "./client.ts";

const MAX_ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/**
 * A LISTEN on one channel that a failure does not poison. Callers await `ready()`; concurrent callers
 * share the attempt in flight. A failed LISTEN is retried with backoff (100 ms, doubling, up to 5 s)
 * and, if it still fails, forgotten: the next `ready()` tries again instead of returning the old
 * failure. After a LISTEN connection drops, postgres.js re-listens and calls `onListen` again.
 */
export class ChannelListener {
  readonly #sql: Sql;
  readonly #channel: string;
  readonly #onNotify: (payload: string) => void;
  readonly #onListen: (() => void) | undefined;
  #ready: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(sql: Sql, channel: string, onNotify: (payload: string) => void, onListen?: () => void) {
    this.#sql = sql;
    this.#channel = channel;
    this.#onNotify = onNotify;
    this.#onListen = onListen;
  }

  /** Resolves once the LISTEN is active. */
  ready(): Promise<void> {
    this.#ready ??= this.#listen().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #listen(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { unlisten } = await this.#sql.listen(this.#channel, this.#onNotify, this.#onListen);
        this.#unlisten = unlisten;
        return;
      } catch (error) {
        this.#forgetFailedListen();
        if (attempt >= MAX_ATTEMPTS) throw error;
        logError("LISTEN failed; retrying", { channel: this.#channel, attempt, error });
        const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  /** Stops listening (after `ready()` resolved; otherwise nothing is listening). */
  async unlisten(): Promise<void> {
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    this.#ready = undefined;
    await unlisten?.();
  }

  /**
   * postgres.js keeps a channel's first LISTEN promise and hands it to every later `listen` of that
   * channel, even when it rejected: without dropping it, a retry would only see the old failure.
   */
  #forgetFailedListen(): void {
    const channels = (this.#sql.listen as unknown as { channels?: Record<string, unknown> }).channels;
    if (channels) delete channels[this.#channel];
  }
}
