/**
 * The one wire contract between the server and its readers (DESIGN §4, §5): the SSE events of
 * `POST /api/chat` and `GET /api/sessions/:id/stream`, every JSON body the browser reads or sends
 * (`wire-http.ts`, `wire-account.ts`) and the Realtime messages (`wire-realtime.ts`). The server
 * encodes with these schemas and the browser decodes with them, so neither side parses by hand. Browser-safe: zod only, no Node or server imports.
 */
import { z } from "zod";
import {
  byteOffsetSchema,
  describeIssues,
  encodeProgress,
  progressSchema,
  sessionErrorSchema,
  sessionStateSchema,
  sessionStatusSchema,
  usageSchema,
  WireError,
} from "./wire-base.ts";

export * from "./wire-account.ts";
export * from "./wire-base.ts";
export * from "./wire-http.ts";
export * from "./wire-realtime.ts";

/** The `data:` of each SSE event, by event name. */
export const sessionEventDataSchemas = {
  session: sessionStateSchema.extend({
    sessionId: z.string().min(1),
    conversationId: z.string().min(1),
  }),
  delta: z.object({ text: z.string() }),
  progress: progressSchema,
  status: sessionStateSchema,
  /**
   * `next`: what produces the rest — the same agent run re-attached at its cursor, a continuation
   * request after a seam (the text past `offset` then starts with the seam's joiner), or, with
   * nothing streamed yet (offset 0), the same request run again (`restart`).
   */
  handoff: z.object({
    status: z.literal("background"),
    offset: byteOffsetSchema,
    next: z.enum(["reattach", "continuation", "restart"]).optional(),
  }),
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
 * One SSE event as both sides hold it. A `delta` and a `rewind` carry their cursor (`epoch`,
 * `offset`) from the SSE `id:`; a delta's offset is the byte offset right after its text. `epoch` is
 * the producer's epoch, as in the database (the wire calls it the generation, in the cursor only).
 */
export type SessionStreamEvent =
  | ({ type: "session" } & EventData<"session">)
  | { type: "delta"; text: string; offset: number; epoch: number }
  | ({ type: "progress" } & EventData<"progress">)
  | ({ type: "status" } & EventData<"status">)
  | ({ type: "handoff" } & EventData<"handoff">)
  | { type: "rewind"; offset: number; epoch: number }
  | ({ type: "done" } & EventData<"done">)
  | ({ type: "error" } & EventData<"error">);

// ---------------------------------------------------------------------------------------------
// Cursors: the SSE `id:` of a delta or rewind, `<generation>:<offset>` on the wire. The wire's
// generation is the epoch (the database's `sessions.epoch`) of the producer whose bytes the reader
// holds; both sides call it `epoch`, and only `formatCursor`/`parseCursor` write or read the wire form.
//
// The epoch rises at every takeover, so at every seam. A live reader may be ahead of the durable log
// by CHECKPOINT_BYTES; when that producer dies before its checkpoint and another continues from the
// durable offset, the bytes past it change. A resume whose epoch is older than a chunk that starts
// below its offset has not seen that seam: the server sends `rewind` first. A bare number
// (`?offset=N`, or a hand-made Last-Event-ID) claims no epoch and is trusted as is.
// ---------------------------------------------------------------------------------------------

export interface StreamCursor {
  offset: number;
  /** null: a plain offset, with no claim about which producer's bytes the reader holds. */
  epoch: number | null;
}

const CURSOR = /^(?:(\d{1,15}):)?(\d{1,16})$/;

/** The cursor a reader resumes from: `<epoch>:<offset>`, or a bare offset when the epoch is unknown. */
export function formatCursor(cursor: StreamCursor): string {
  return cursor.epoch === null ? String(cursor.offset) : `${cursor.epoch}:${cursor.offset}`;
}

/** Reads `<generation>:<offset>` or a bare offset; null when it is neither. */
export function parseCursor(raw: string): StreamCursor | null {
  const match = CURSOR.exec(raw.trim());
  if (!match) return null;
  const offset = Number(match[2]);
  if (!Number.isSafeInteger(offset)) return null;
  return { offset, epoch: match[1] === undefined ? null : Number(match[1]) };
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
        id: formatCursor(event),
      };
    case "rewind":
      return {
        event: "rewind",
        data: sessionEventDataSchemas.rewind.parse({ offset: event.offset }),
        id: formatCursor(event),
      };
    case "progress": {
      const { type: _, ...progress } = event;
      return { event: "progress", data: sessionEventDataSchemas.progress.parse(encodeProgress(progress)) };
    }
    default: {
      const { type, ...data } = event;
      return { event: type, data: sessionEventDataSchemas[type].parse(data) };
    }
  }
}

function decodeCursor(name: string, id: string | undefined): { epoch: number; offset: number } {
  const cursor = id === undefined ? null : parseCursor(id);
  if (!cursor || cursor.epoch === null)
    throw new WireError(`The session stream sent a ${name} without a cursor id (got ${JSON.stringify(id)}).`);
  return { epoch: cursor.epoch, offset: cursor.offset };
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
