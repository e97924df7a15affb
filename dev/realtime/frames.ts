/**
 * Phoenix frames as Supabase Realtime speaks them (DESIGN §9, reference §1):
 * - vsn 1.0.0: text frames holding `{topic, event, payload, ref, join_ref}`;
 * - vsn 2.0.0: text frames holding `[join_ref, ref, topic, event, payload]`, plus binary user
 *   broadcasts: kind 3 (client → server push) and kind 4 (server → client).
 */
export type Vsn = "1.0.0" | "2.0.0";

export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A user broadcast: the payload stays encoded (JSON text or raw bytes) until a receiver needs it. */
export interface UserBroadcast {
  topic: string;
  event: string;
  encoding: "json" | "binary";
  payload: Buffer;
}

export type ClientFrame =
  | { kind: "message"; message: PhoenixMessage }
  | { kind: "push"; joinRef: string; ref: string | null; broadcast: UserBroadcast };

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const JSON_ENCODING = 1;
const BINARY_ENCODING = 0;

/** Decodes one frame from a client; throws on a malformed one (the server then closes the socket). */
export function decodeClientFrame(vsn: Vsn, data: Buffer, isBinary: boolean): ClientFrame {
  if (isBinary) {
    if (vsn !== "2.0.0") throw new Error("binary frames need vsn 2.0.0");
    return decodeUserBroadcastPush(data);
  }
  const parsed: unknown = JSON.parse(data.toString("utf8"));
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length !== 5) throw new Error("expected a 5-element array");
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    return { kind: "message", message: checked({ joinRef, ref, topic, event, payload }) };
  }
  if (!parsed || typeof parsed !== "object") throw new Error("expected an object");
  const { join_ref, ref, topic, event, payload } = parsed as Record<string, unknown>;
  return { kind: "message", message: checked({ joinRef: join_ref ?? null, ref, topic, event, payload }) };
}

function checked(raw: Record<string, unknown>): PhoenixMessage {
  const ref = (value: unknown) => (value === null || value === undefined ? null : String(value));
  if (typeof raw.topic !== "string" || typeof raw.event !== "string")
    throw new Error("topic and event required");
  return {
    joinRef: ref(raw.joinRef),
    ref: ref(raw.ref),
    topic: raw.topic,
    event: raw.event,
    payload: raw.payload,
  };
}

function decodeUserBroadcastPush(data: Buffer): ClientFrame {
  if (data.length < 7 || data[0] !== KIND_USER_BROADCAST_PUSH) throw new Error("unknown binary frame kind");
  const [joinRefLen, refLen, topicLen, eventLen, metaLen, encoding] = [1, 2, 3, 4, 5, 6].map((i) => data[i]!);
  let offset = 7;
  const take = (length: number) => {
    const slice = data.subarray(offset, offset + length);
    if (slice.length !== length) throw new Error("truncated binary frame");
    offset += length;
    return slice.toString("utf8");
  };
  const joinRef = take(joinRefLen!);
  const ref = take(refLen!);
  const topic = take(topicLen!);
  const event = take(eventLen!);
  take(metaLen!); // only `persist`, which this stand-in does not store
  return {
    kind: "push",
    joinRef,
    ref: ref === "" ? null : ref,
    broadcast: {
      topic,
      event,
      encoding: encoding === JSON_ENCODING ? "json" : "binary",
      payload: Buffer.from(data.subarray(offset)),
    },
  };
}

/** Encodes a control or JSON message for a client of `vsn`. */
export function encodeMessage(vsn: Vsn, message: PhoenixMessage): string {
  if (vsn === "2.0.0") {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}

/**
 * A user broadcast for one receiver: binary kind 4 for vsn 2.0.0; for 1.0.0 the JSON `broadcast`
 * message Realtime converts it to (a binary payload cannot reach a v1 client: undefined).
 */
export function encodeUserBroadcast(vsn: Vsn, broadcast: UserBroadcast): string | Buffer | undefined {
  if (vsn === "1.0.0") {
    if (broadcast.encoding === "binary") return undefined;
    return encodeMessage(vsn, {
      joinRef: null,
      ref: null,
      topic: broadcast.topic,
      event: "broadcast",
      payload: {
        type: "broadcast",
        event: broadcast.event,
        payload: JSON.parse(broadcast.payload.toString("utf8")),
      },
    });
  }
  const topic = Buffer.from(broadcast.topic, "utf8");
  const event = Buffer.from(broadcast.event, "utf8");
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topic.length,
    event.length,
    0,
    broadcast.encoding === "json" ? JSON_ENCODING : BINARY_ENCODING,
  ]);
  return Buffer.concat([header, topic, event, broadcast.payload]);
}
