/** Browser-safe (no imports): the follow subscription `OvertimeChatTransport` reads on with. */

/** Calls `onChange` whenever the session's log or status changes; returns the unsubscribe. */
export type FollowSubscription = (sessionId: string, onChange: () => void) => () => void;

/** A missed change (Realtime is best effort) costs at most this long: a catch-up read then anyway. */
export const FOLLOW_FALLBACK_MS = 5000;

/**
 * The `follow` subscription of one followed session, held from before the first read to the end, so
 * a change between a read and the wait is not missed: it counts as pending and the wait ends at once.
 */
export class ChangeSignal {
  #pending = false;
  #waiter: (() => void) | null = null;
  readonly #unsubscribe: (() => void) | null;

  constructor(follow: FollowSubscription | undefined, sessionId: string) {
    this.#unsubscribe = follow
      ? follow(sessionId, () => {
          this.#pending = true;
          this.#waiter?.();
        })
      : null;
  }

  get active(): boolean {
    return this.#unsubscribe !== null;
  }

  /** A read starts: what changed before it, it reads. */
  reading(): void {
    this.#pending = false;
  }

  /** Calls `wake` at the next change (at once if one came since the last read); returns the cancel. */
  next(wake: () => void): () => void {
    if (this.#pending) {
      queueMicrotask(wake);
      return () => {};
    }
    this.#waiter = wake;
    return () => {
      this.#waiter = null;
    };
  }

  close(): void {
    this.#unsubscribe?.();
  }
}
