import { decodeRealtimeMessage, type RealtimeMessage } from "@/lib/session/wire.ts";
import type { SubscribeToTopic, TopicSubscription } from "./realtime-topic.ts";

/** While the Realtime channel is not joined, the transport reads the log this often so the page never stalls. */
const REALTIME_DOWN_READ_MS = 15_000;

/**
 * One session's Realtime channel (`session:<id>`) for the page: its messages go to the status bar
 * (`onMessage`), and any change of the log or the status wakes the chat transport's catch-up read
 * (`OvertimeChatTransport`'s `follow`). A change that arrives while no read waits is remembered, so
 * the read that ends after it reads on at once: nothing broadcast between two reads is missed.
 */
export class SessionChannel {
  readonly #subscription: TopicSubscription;
  #changed = true;
  #waiter: (() => void) | null = null;
  #downTimer: ReturnType<typeof setInterval> | null = null;

  constructor(subscribe: SubscribeToTopic, sessionId: string, onMessage: (message: RealtimeMessage) => void) {
    this.#subscription = subscribe(`session:${sessionId}`, {
      onSubscribed: () => {
        this.#stopDownTimer();
        this.#change();
      },
      onLeft: () => {
        this.#downTimer ??= setInterval(() => this.#change(), REALTIME_DOWN_READ_MS);
      },
      onMessage: (event, payload) => {
        let message: RealtimeMessage | null;
        try {
          message = decodeRealtimeMessage(event, payload);
        } catch (error) {
          // A message is only a hint: an unreadable one is dropped and the log read instead.
          console.warn(`Session ${sessionId}: ignoring an unreadable Realtime message.`, error);
          this.#change();
          return;
        }
        if (!message) return;
        onMessage(message);
        if (message.type !== "progress") this.#change();
      },
    });
  }

  /** The transport's `follow`: calls `onChange` at the next change (at once if one came meanwhile). */
  wait(onChange: () => void): () => void {
    if (this.#changed) {
      this.#changed = false;
      const timer = setTimeout(onChange, 0);
      return () => clearTimeout(timer);
    }
    this.#waiter = onChange;
    return () => {
      if (this.#waiter === onChange) this.#waiter = null;
    };
  }

  close(): void {
    this.#stopDownTimer();
    this.#subscription.close();
    this.#waiter = null;
  }

  #change(): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      this.#changed = false;
      waiter();
    } else this.#changed = true;
  }

  #stopDownTimer(): void {
    if (this.#downTimer !== null) clearInterval(this.#downTimer);
    this.#downTimer = null;
  }
}
