import type { Claims } from "./authorize.ts";
import { type Delivery, type Subscriber, Topics } from "./topics.ts";

export const TOPIC_PREFIX = "realtime:";

/** What a channel delivers through: its socket's connection (`connection.ts`, which imports this file). */
export interface ChannelSocket {
  deliver(channel: Channel, delivery: Delivery): void;
}

/** One joined channel of a socket: its topic, join options and the token it was authorized with. */
export class Channel implements Subscriber {
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
  writable: boolean | undefined;
  constructor(
    readonly connection: ChannelSocket,
    readonly topic: string,
    readonly joinRef: string,
    readonly isPrivate: boolean,
    readonly self: boolean,
    readonly ack: boolean,
    public token: string,
    public claims: Claims,
  ) {}

  get subTopic(): string {
    return this.topic.slice(TOPIC_PREFIX.length);
  }

  get key(): string {
    return Topics.key(this.subTopic, this.isPrivate);
  }

  deliver(delivery: Delivery): void {
    this.connection.deliver(this, delivery);
  }
}
