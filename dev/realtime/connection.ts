import type { Sql } from "postgres";
import type { WebSocket } from "ws";
import { canRead, canWrite, type TokenVerifier } from "./authorize.ts";
import { Channel, TOPIC_PREFIX } from "./channel.ts";
import {
  type ClientFrame,
  decodeClientFrame,
  encodeMessage,
  encodeUserBroadcast,
  type PhoenixMessage,
  type UserBroadcast,
  type Vsn,
} from "./frames.ts";
import type { ConnectedSockets, ProjectMessageRate } from "./project-quota.ts";
import type { Delivery, Topics } from "./topics.ts";

export interface ConnectionOptions {
  ws: WebSocket;
  vsn: Vsn;
  /** The socket's `apikey`: the token used when a join carries none (or an `sb_` key). */
  apiKey: string;
  sql: Sql;
  topics: Topics;
  verifyToken: TokenVerifier;
  limits: { maxPayloadBytes: number };
  /** The project's message quota, shared by every socket and the REST endpoints. */
  rate: ProjectMessageRate;
  /** The project's concurrent-connections quota. */
  sockets: ConnectedSockets;
  log: (line: string) => void;
  now: () => number;
}

/** Phoenix's websocket timeout: a client silent this long (no heartbeat) is disconnected. */
const IDLE_TIMEOUT_MS = 60_000;
const MAX_CHANNELS_PER_CLIENT = 100;
/** setTimeout's ceiling; a token valid for longer is re-checked when this fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface JoinConfig {
  broadcast?: { self?: boolean; ack?: boolean };
  postgres_changes?: unknown[];
  private?: boolean;
}

/** One client socket: its channels, in the order the client sent frames. */
export class RealtimeConnection {
  readonly #options: ConnectionOptions;
  readonly #channels = new Map<string, Channel>();
  #queue: Promise<void> = Promise.resolve();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    options.ws.on("message", (data, isBinary) => {
      this.#touch();
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      // Frames are handled one at a time, in order: a join's database check finishes before the
      // next frame (a broadcast, a leave) is looked at.
      this.#queue = this.#queue
        .then(() => this.#handle(buffer, isBinary))
        .catch((error: unknown) => {
          options.log(
            `closing a socket after a bad frame: ${error instanceof Error ? error.message : error}`,
          );
          this.terminate(1003, "bad frame");
        });
    });
    this.#touch();
  }

  /** Closes the socket (the client reconnects and rejoins by itself). */
  terminate(code: number, reason: string): void {
    this.dispose();
    if (this.#options.ws.readyState <= 1) this.#options.ws.close(code, reason);
  }

  dispose(): void {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    for (const channel of this.#channels.values()) this.#drop(channel);
    this.#options.sockets.remove(this);
  }

  /** Realtime over the project's message quota: every channel gets the system error and phx_close. */
  shutDownForMessageQuota(): void {
    for (const channel of [...this.#channels.values()])
      this.#shutdown(channel, "Too many messages per second");
  }

  /** A message for one of this socket's channels; counts toward the project's message quota. */
  deliver(channel: Channel, delivery: Delivery): void {
    if (!this.#count()) return;
    const { vsn } = this.#options;
    if (delivery.kind === "user") {
      const frame = encodeUserBroadcast(vsn, { ...delivery.broadcast, topic: channel.topic });
      if (frame !== undefined) this.#options.ws.send(frame);
      return;
    }
    this.#push(channel.topic, "broadcast", {
      type: "broadcast",
      event: delivery.event,
      payload: delivery.payload,
      ...(delivery.id ? { meta: { id: delivery.id } } : {}),
    });
  }

  async #handle(data: Buffer, isBinary: boolean): Promise<void> {
    const frame: ClientFrame = decodeClientFrame(this.#options.vsn, data, isBinary);
    if (frame.kind === "push") {
      await this.#clientBroadcast(frame.broadcast.topic, frame.joinRef, frame.ref, frame.broadcast, "user");
      return;
    }
    const { message } = frame;
    if (message.topic === "phoenix" && message.event === "heartbeat") {
      this.#reply(message, "ok", {});
      return;
    }
    switch (message.event) {
      case "phx_join":
        return this.#join(message);
      case "phx_leave":
        return this.#leave(message);
      case "access_token":
        return this.#refreshToken(message);
      case "broadcast": {
        const payload = (message.payload ?? {}) as { event?: unknown; payload?: unknown };
        if (typeof payload.event !== "string") return;
        const broadcast: UserBroadcast = {
          topic: message.topic,
          event: payload.event,
          encoding: "json",
          payload: Buffer.from(JSON.stringify(payload.payload ?? {}), "utf8"),
        };
        return this.#clientBroadcast(message.topic, message.joinRef, message.ref, broadcast, "json");
      }
      case "presence":
        // Presence is not part of the subset the product uses: accepted, never fanned out.
        if (this.#channels.get(message.topic)?.joinRef === message.joinRef) this.#reply(message, "ok", {});
        return;
      default:
        this.#count();
    }
  }

  async #join(message: PhoenixMessage): Promise<void> {
    const { log } = this.#options;
    const joinRef = message.joinRef ?? message.ref ?? "";
    if (!message.topic.startsWith(TOPIC_PREFIX)) {
      this.#reply(message, "error", { reason: "unmatched topic" });
      return;
    }
    const subTopic = message.topic.slice(TOPIC_PREFIX.length);
    const payload = (message.payload ?? {}) as { config?: JoinConfig; access_token?: unknown };
    const config = payload.config ?? {};
    const isPrivate = config.private === true;
    const refuse = (reason: string, sub?: unknown) => {
      log(`join refused: topic=${subTopic} private=${isPrivate} sub=${sub ?? "-"} reason="${reason}"`);
      this.#reply(message, "error", { reason });
    };
    if (subTopic === "") return refuse("TopicNameRequired: You must provide a topic name");
    const existing = this.#channels.get(message.topic);
    if (existing) {
      // Phoenix closes the earlier join of the same topic on this socket.
      this.#drop(existing);
      this.#push(message.topic, "phx_close", {}, existing.joinRef);
    }
    if (!this.#options.sockets.mayJoin(this)) {
      return refuse("ConnectionRateLimitReached: Too many connected users");
    }
    if (this.#channels.size >= MAX_CHANNELS_PER_CLIENT) {
      return refuse("ChannelRateLimitReached: Too many channels");
    }
    const token = this.#tokenOf(payload.access_token);
    const verified = await this.#options.verifyToken(token);
    if ("refused" in verified) return refuse(`${verified.refused.code}: ${verified.refused.message}`);
    const { claims } = verified;
    if (isPrivate && !(await canRead(this.#options.sql, subTopic, claims))) {
      return refuse(
        `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
        claims.sub,
      );
    }
    if (this.#closed) return;
    const channel = new Channel(
      this,
      message.topic,
      joinRef,
      isPrivate,
      config.broadcast?.self === true,
      config.broadcast?.ack === true,
      token ?? "",
      claims,
    );
    this.#channels.set(message.topic, channel);
    this.#options.sockets.add(this);
    this.#options.topics.add(channel.key, channel);
    this.#scheduleExpiry(channel);
    const postgresChanges = (config.postgres_changes ?? []).map((filter, index) => ({
      ...(filter as object),
      id: index + 1,
    }));
    this.#reply(message, "ok", { postgres_changes: postgresChanges });
    log(`joined: topic=${subTopic} private=${isPrivate} sub=${claims.sub ?? claims.role}`);
  }

  #leave(message: PhoenixMessage): void {
    const channel = this.#channels.get(message.topic);
    this.#reply(message, "ok", {});
    if (channel) {
      this.#drop(channel);
      this.#push(message.topic, "phx_close", {}, channel.joinRef);
    }
  }

  async #refreshToken(message: PhoenixMessage): Promise<void> {
    const channel = this.#channels.get(message.topic);
    const token = (message.payload as { access_token?: unknown } | null)?.access_token;
    // Realtime ignores `sb_` keys, nulls and the token it already holds; success has no reply.
    if (!channel || typeof token !== "string" || token.startsWith("sb_") || token === channel.token) return;
    const verified = await this.#options.verifyToken(token);
    if ("refused" in verified) return this.#shutdown(channel, verified.refused.message);
    if (channel.isPrivate && !(await canRead(this.#options.sql, channel.subTopic, verified.claims))) {
      return this.#shutdown(
        channel,
        `You do not have permissions to read from this Channel topic: ${channel.subTopic}`,
      );
    }
    channel.token = token;
    channel.claims = verified.claims;
    channel.writable = undefined;
    this.#scheduleExpiry(channel);
  }

  async #clientBroadcast(
    topic: string,
    joinRef: string | null,
    ref: string | null,
    broadcast: UserBroadcast,
    kind: "user" | "json",
  ): Promise<void> {
    const channel = this.#channels.get(topic);
    if (!channel || channel.joinRef !== joinRef) return;
    if (!this.#count()) return;
    const replyTo = { joinRef, ref, topic, event: "broadcast", payload: null };
    if (broadcast.payload.length > this.#options.limits.maxPayloadBytes) {
      if (channel.ack) this.#reply(replyTo, "error", { error: "payload_size_exceeded" });
      return;
    }
    if (channel.isPrivate) {
      channel.writable ??= await canWrite(this.#options.sql, channel.subTopic, channel.claims);
      // RLS denied: Realtime drops the message without a reply (an `ack` send times out).
      if (!channel.writable) return;
    }
    const delivery: Delivery =
      kind === "user"
        ? { kind: "user", broadcast }
        : {
            kind: "json",
            topic,
            event: broadcast.event,
            payload: JSON.parse(broadcast.payload.toString("utf8")),
          };
    this.#options.topics.publish(channel.key, delivery, channel);
    if (channel.ack) this.#reply(replyTo, "ok", {});
  }

  #tokenOf(accessToken: unknown): string | undefined {
    if (typeof accessToken !== "string" || accessToken.startsWith("sb_")) return this.#options.apiKey;
    return accessToken;
  }

  /** A channel whose token expires is closed at that moment, as Realtime's `confirm_token` does. */
  #scheduleExpiry(channel: Channel): void {
    clearTimeout(channel.expiryTimer);
    const delay = channel.claims.exp * 1000 - this.#options.now();
    channel.expiryTimer = setTimeout(
      () => {
        const overdue = Math.floor(this.#options.now() / 1000) - channel.claims.exp;
        if (overdue < 0) return this.#scheduleExpiry(channel);
        this.#shutdown(channel, `Token has expired ${overdue} seconds ago`);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, delay)),
    );
    channel.expiryTimer.unref?.();
  }

  /** Realtime's `shutdown_response`: a `system` error on the channel, then `phx_close`. */
  #shutdown(channel: Channel, message: string): void {
    if (this.#channels.get(channel.topic) !== channel) return;
    this.#push(channel.topic, "system", {
      message,
      status: "error",
      extension: "system",
      channel: channel.subTopic,
    });
    this.#drop(channel);
    this.#push(channel.topic, "phx_close", {}, channel.joinRef);
    this.#options.log(`channel closed: topic=${channel.subTopic} reason="${message}"`);
  }

  #drop(channel: Channel): void {
    clearTimeout(channel.expiryTimer);
    if (this.#channels.get(channel.topic) === channel) this.#channels.delete(channel.topic);
    this.#options.topics.remove(channel.key, channel);
  }

  /** Counts one message; over the project's quota this socket's channels are shut down. False when over. */
  #count(): boolean {
    if (this.#options.rate.take()) return true;
    this.shutDownForMessageQuota();
    return false;
  }

  #touch(): void {
    clearTimeout(this.#idleTimer);
    if (this.#closed) return;
    this.#idleTimer = setTimeout(() => this.terminate(1000, "heartbeat timeout"), IDLE_TIMEOUT_MS);
    this.#idleTimer.unref?.();
  }

  #reply(to: PhoenixMessage, status: "ok" | "error", response: unknown): void {
    this.#send({
      joinRef: to.joinRef,
      ref: to.ref,
      topic: to.topic,
      event: "phx_reply",
      payload: { status, response },
    });
  }

  #push(topic: string, event: string, payload: unknown, joinRef: string | null = null): void {
    this.#send({ joinRef, ref: null, topic, event, payload });
  }

  #send(message: PhoenixMessage): void {
    if (this.#options.ws.readyState !== 1) return;
    this.#options.ws.send(encodeMessage(this.#options.vsn, message));
  }
}
