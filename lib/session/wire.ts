/**
 * The one wire contract between the server and its readers (DESIGN §4, §5): the SSE events of
 * `POST /api/chat` and `GET /api/sessions/:id/stream`, the snapshot, the chat request, the agent list
 * and the Realtime messages. The server encodes with these schemas and the browser decodes with them,
 * so neither side parses by hand. Browser-safe: zod only, no Node or server imports.
 */
import { z } from "zod";

export const SESSION_STATUSES = [
  "queued",
  "live",
  "background",
  "interrupted",
  "completed",
  "failed",
  "cancelled",
] as const;
export const sessionStatusSchema = z.enum(SESSION_STATUSES);
export const runnerKindSchema = z.enum(["live", "trigger", "worker"]);
export const sessionModeSchema = z.enum(["auto", "live", "background"]);

/** A UTF-8 byte offset into a session's output. */
export const byteOffsetSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const countSchema = z.number().int().min(0);

export const usageSchema = z.object({ inputTokens: countSchema, outputTokens: countSchema });

/** `estimated`: the token count is estimated from the text (the agent reported no usage yet). */
export const progressSchema = z.object({
  stage: z.string().nullable(),
  outputTokens: countSchema,
  elapsedMs: z.number(),
  estimated: z.boolean().optional(),
});

export const sessionErrorSchema = z.object({ code: z.string().min(1), message: z.string() });

/** Status, producer and seams: what a reader needs besides the bytes (the SSE and Realtime `status`). */
export const sessionStateSchema = z.object({
  status: sessionStatusSchema,
  runner: runnerKindSchema.nullable(),
  /** The durable end of the log when this was sent. */
  offset: byteOffsetSchema,
  /** Byte offsets where a continuation joined the output. */
  seams: z.array(byteOffsetSchema),
});

/** The `data:` of each SSE event, by event name. */
export const sessionEventDataSchemas = {
  session: sessionStateSchema.extend({
    sessionId: z.string().min(1),
    conversationId: z.string().min(1),
  }),
  delta: z.object({ text: z.string() }),
  progress: progressSchema,
  status: sessionStateSchema,
  handoff: z.object({ status: z.literal("background"), offset: byteOffsetSchema }),
  rewind: z.object({ offset: byteOffsetSchema }),
  done: z.object({
    status: sessionStatusSchema,
    offset: byteOffsetSchema,
    usage: usageSchema.nullable(),
    costUsd: z.number().nullable(),
  }),
  error: sessionErrorSchema.extend({ offset: byteOffsetSchema.optional() }),
} as const;

export type SessionEventName = keyof typeof sessionEventDataSchemas;
export const SESSION_EVENT_NAMES = Object.keys(sessionEventDataSchemas) as SessionEventName[];

type EventData<Name extends SessionEventName> = z.infer<(typeof sessionEventDataSchemas)[Name]>;

/**
 * One SSE event as both sides hold it. A `delta` and a `rewind` carry their cursor (`generation`,
 * `offset`) from the SSE `id:`; a delta's offset is the byte offset right after its text.
 */
export type SessionStreamEvent =
  | ({ type: "session" } & EventData<"session">)
  | { type: "delta"; text: string; offset: number; generation: number }
  | ({ type: "progress" } & EventData<"progress">)
  | ({ type: "status" } & EventData<"status">)
  | ({ type: "handoff" } & EventData<"handoff">)
  | { type: "rewind"; offset: number; generation: number }
  | ({ type: "done" } & EventData<"done">)
  | ({ type: "error" } & EventData<"error">);

// ---------------------------------------------------------------------------------------------
// Cursors: the SSE `id:` of a delta or rewind, `<generation>:<offset>`.
//
// The generation is the epoch of the producer whose bytes the reader holds (it rises at every
// takeover, so at every seam). A reader may be ahead of the durable log by one checkpoint interval;
// when that producer dies before its checkpoint and another continues from the durable offset, the
// bytes past it change. A resume whose generation is older than a chunk that starts below its
// offset has not seen that seam: the server sends `rewind` first. A bare number (`?offset=N`, or a
// hand-made Last-Event-ID) claims no generation and is trusted as is.
// ---------------------------------------------------------------------------------------------

export interface StreamCursor {
  offset: number;
  /** null: a plain offset, with no claim about which producer's bytes the reader holds. */
  generation: number | null;
}

const CURSOR = /^(?:(\d{1,15}):)?(\d{1,16})$/;

export function formatCursor(generation: number, offset: number): string {
  return `${generation}:${offset}`;
}

/** Reads `<generation>:<offset>` or a bare offset; null when it is neither. */
export function parseCursor(raw: string): StreamCursor | null {
  const match = CURSOR.exec(raw.trim());
  if (!match) return null;
  const offset = Number(match[2]);
  if (!Number.isSafeInteger(offset)) return null;
  return { offset, generation: match[1] === undefined ? null : Number(match[1]) };
}

/** What the SSE writer sends for one event. */
export interface EncodedEvent {
  event: SessionEventName;
  data: unknown;
  id?: string;
}

/** Encodes one event for the wire, validating it against the contract (a bug fails loudly here). */
export function encodeSessionEvent(event: SessionStreamEvent): EncodedEvent {
  switch (event.type) {
    case "delta":
      return {
        event: "delta",
        data: sessionEventDataSchemas.delta.parse({ text: event.text }),
        id: formatCursor(event.generation, event.offset),
      };
    case "rewind":
      return {
        event: "rewind",
        data: sessionEventDataSchemas.rewind.parse({ offset: event.offset }),
        id: formatCursor(event.generation, event.offset),
      };
    default: {
      const { type, ...data } = event;
      return { event: type, data: sessionEventDataSchemas[type].parse(data) };
    }
  }
}

/** An event the reader cannot decode: a broken stream, shown to the user, never guessed at. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(data)"}: ${issue.message}`).join("; ");
}

function decodeCursor(name: string, id: string | undefined): { generation: number; offset: number } {
  const cursor = id === undefined ? null : parseCursor(id);
  if (!cursor || cursor.generation === null)
    throw new WireError(`The session stream sent a ${name} without a cursor id (got ${JSON.stringify(id)}).`);
  return { generation: cursor.generation, offset: cursor.offset };
}

/**
 * Decodes one SSE message (`event`, `data`, `id`). Returns null for an event name this reader does
 * not know (a newer server may add some); throws WireError for a known event it cannot read.
 */
export function decodeSessionEvent(
  name: string | undefined,
  data: string,
  id: string | undefined,
): SessionStreamEvent | null {
  if (name === undefined || !(name in sessionEventDataSchemas)) return null;
  const eventName = name as SessionEventName;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new WireError(`The session stream sent a ${eventName} event whose data is not JSON.`);
  }
  const parsed = sessionEventDataSchemas[eventName].safeParse(json);
  if (!parsed.success)
    throw new WireError(
      `The session stream sent an unreadable ${eventName} event: ${describeIssues(parsed.error)}`,
    );
  if (eventName === "delta") {
    const { text } = parsed.data as EventData<"delta">;
    return { type: "delta", text, ...decodeCursor(eventName, id) };
  }
  if (eventName === "rewind") return { type: "rewind", ...decodeCursor(eventName, id) };
  return { type: eventName, ...parsed.data } as SessionStreamEvent;
}

// ---------------------------------------------------------------------------------------------
// Realtime (DESIGN §4): private channel `session:<id>` carries `log`, `progress` and `status`;
// `user:<id>` carries `session` for the sessions list.
// ---------------------------------------------------------------------------------------------

export const realtimePayloadSchemas = {
  /** After each durable append. No `text` (too large to broadcast): a gap to fill by a catch-up read. */
  log: z
    .object({ from: byteOffsetSchema, to: byteOffsetSchema, text: z.string().optional() })
    .refine((log) => log.to >= log.from, { message: "to must not be below from" }),
  progress: progressSchema,
  status: sessionStateSchema,
  session: z.object({
    id: z.string().min(1),
    status: sessionStatusSchema,
    title: z.string(),
    agent: z.string(),
    updatedAt: z.string(),
  }),
} as const;

export type RealtimeEventName = keyof typeof realtimePayloadSchemas;
type RealtimePayload<Name extends RealtimeEventName> = z.infer<(typeof realtimePayloadSchemas)[Name]>;

export type RealtimeMessage =
  | ({ type: "log" } & RealtimePayload<"log">)
  | ({ type: "progress" } & RealtimePayload<"progress">)
  | ({ type: "status" } & RealtimePayload<"status">)
  | ({ type: "session" } & RealtimePayload<"session">);

/** Decodes one Realtime broadcast (`event`, `payload`); null for an unknown event name. */
export function decodeRealtimeMessage(event: string, payload: unknown): RealtimeMessage | null {
  if (!(event in realtimePayloadSchemas)) return null;
  const name = event as RealtimeEventName;
  const parsed = realtimePayloadSchemas[name].safeParse(payload);
  if (!parsed.success)
    throw new WireError(
      `The Realtime channel sent an unreadable ${name} message: ${describeIssues(parsed.error)}`,
    );
  return { type: name, ...parsed.data } as RealtimeMessage;
}

/** Validates a Realtime payload before it is broadcast. */
export function encodeRealtimeMessage<Name extends RealtimeEventName>(
  event: Name,
  payload: RealtimePayload<Name>,
): { event: Name; payload: RealtimePayload<Name> } {
  return { event, payload: realtimePayloadSchemas[event].parse(payload) as RealtimePayload<Name> };
}

// ---------------------------------------------------------------------------------------------
// HTTP bodies.
// ---------------------------------------------------------------------------------------------

export const MAX_CHAT_MESSAGE_CHARS = 32_000;

/** `POST /api/chat`. Postgres text cannot hold NUL, so a message with one is refused by name. */
export const chatRequestSchema = z.object({
  message: z
    .string()
    .min(1)
    .max(MAX_CHAT_MESSAGE_CHARS)
    .refine((message) => !message.includes("\u0000"), {
      message: "must not contain a NUL character (\\u0000)",
    }),
  conversationId: z.uuid().optional(),
  agent: z.string().min(1).max(100).optional(),
  mode: sessionModeSchema.default("auto"),
});
export type ChatRequest = z.input<typeof chatRequestSchema>;

/** `POST /api/chat` answered 202: the session runs in the background from its first byte. */
export const backgroundAcceptanceSchema = z.object({
  sessionId: z.string().min(1),
  conversationId: z.string().min(1),
  status: z.literal("background"),
  streamUrl: z.string().min(1),
});

/** `GET /api/sessions/:id`. */
export const sessionSnapshotSchema = z.object({
  id: z.string().min(1),
  conversationId: z.string().min(1),
  /** The user message that started the session (null if it was deleted). */
  userMessageId: z.string().nullable(),
  agent: z.string(),
  title: z.string(),
  status: sessionStatusSchema,
  mode: sessionModeSchema,
  runner: runnerKindSchema.nullable(),
  prompt: z.string(),
  output: z.string(),
  offset: byteOffsetSchema,
  seams: z.array(byteOffsetSchema),
  progress: progressSchema.nullable(),
  usage: usageSchema.nullable(),
  costUsd: z.number().nullable(),
  error: sessionErrorSchema.nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `GET /api/agents`: names and shapes only (URLs and tokens never leave the server). */
export const agentListSchema = z.array(
  z.object({
    name: z.string().min(1),
    transport: z.string().min(1),
    model: z.string(),
    detachable: z.boolean(),
    default: z.boolean(),
  }),
);

/** `GET /api/conversations/:id`. */
export const conversationSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  messages: z.array(
    z.object({
      id: z.string().min(1),
      role: z.enum(["user", "assistant"]),
      content: z.string(),
      sessionId: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});

/** `POST /api/sessions/:id/cancel`. */
export const cancelResultSchema = z.object({ status: sessionStatusSchema, offset: byteOffsetSchema });

/** Every API error body. */
export const apiErrorSchema = z.looseObject({
  code: z.string().min(1),
  message: z.string(),
  balance: z.number().optional(),
});

export type SessionStatus = z.infer<typeof sessionStatusSchema>;
export type RunnerKind = z.infer<typeof runnerKindSchema>;
export type SessionMode = z.infer<typeof sessionModeSchema>;
export type SessionUsage = z.infer<typeof usageSchema>;
export type SessionProgress = z.infer<typeof progressSchema>;
export type SessionState = z.infer<typeof sessionStateSchema>;
export type SessionSnapshot = z.infer<typeof sessionSnapshotSchema>;
export type BackgroundAcceptance = z.infer<typeof backgroundAcceptanceSchema>;
export type AgentOption = z.infer<typeof agentListSchema>[number];
export type Conversation = z.infer<typeof conversationSchema>;

// The server's own status and runner types must be exactly these (checked at compile time).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Same<SessionStatus, import("../db/sessions.ts").SessionStatus> = true;
const runnersMatch: Same<RunnerKind, import("../db/sessions.ts").RunnerKind> = true;
const modesMatch: Same<SessionMode, import("../db/sessions.ts").SessionMode> = true;
void [statusesMatch, runnersMatch, modesMatch];
