import type { UserBroadcast } from "./frames.ts";

/**
 * What a subscriber receives: a user broadcast (client push or the single REST endpoint — binary
 * kind 4 for vsn 2.0.0) or a JSON `broadcast` message (the batch REST endpoint, with `meta.id`).
 */
export type Delivery =
  | { kind: "user"; broadcast: UserBroadcast }
  | { kind: "json"; topic: string; event: string; payload: unknown; id?: string };

export interface Subscriber {
  /** The channel joined by the sender itself is skipped unless it asked for `broadcast.self`. */
  readonly self: boolean;
  deliver(delivery: Delivery): void;
}

/**
 * The subscribers of each topic. Private and public channels of the same name are separate
 * namespaces, as in Realtime (a private message never reaches a public subscriber).
 */
export class Topics {
  #subscribers = new Map<string, Set<Subscriber>>();
  /** Broadcasts published and deliveries made since start, by event name (for benchmarks). */
  readonly published = new Map<string, number>();
  readonly delivered = new Map<string, number>();
  /** The topics (`private:session:<id>`) each event was published on. */
  readonly topicsByEvent = new Map<string, Set<string>>();

  static key(subTopic: string, isPrivate: boolean): string {
    return `${isPrivate ? "private" : "public"}:${subTopic}`;
  }

  add(key: string, subscriber: Subscriber): void {
    let set = this.#subscribers.get(key);
    if (!set) {
      set = new Set();
      this.#subscribers.set(key, set);
    }
    set.add(subscriber);
  }

  remove(key: string, subscriber: Subscriber): void {
    const set = this.#subscribers.get(key);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) this.#subscribers.delete(key);
  }

  /** Delivers in subscription order; `sender` is skipped unless it subscribed with `self`. */
  publish(key: string, delivery: Delivery, sender?: Subscriber): void {
    const event = delivery.kind === "user" ? delivery.broadcast.event : delivery.event;
    this.published.set(event, (this.published.get(event) ?? 0) + 1);
    const topics = this.topicsByEvent.get(event) ?? new Set();
    this.topicsByEvent.set(event, topics.add(key));
    for (const subscriber of this.#subscribers.get(key) ?? []) {
      if (subscriber === sender && !subscriber.self) continue;
      subscriber.deliver(delivery);
      this.delivered.set(event, (this.delivered.get(event) ?? 0) + 1);
    }
  }
}
