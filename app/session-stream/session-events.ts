import type { SessionProgress, SessionStatus, SessionUsage } from "./session-types.ts";

/** One event of the session SSE format (DESIGN §5), as the browser uses it. */
export type SessionStreamEvent =
  | {
      type: "session";
      sessionId: string;
      conversationId: string | null;
      status: SessionStatus;
      offset: number;
    }
  /** `endOffset` is the SSE `id:`: the byte offset right after this delta's text. */
  | { type: "delta"; endOffset: number; text: string }
  | { type: "progress"; progress: SessionProgress }
  | { type: "handoff"; status: SessionStatus; offset: number }
  | {
      type: "done";
      status: SessionStatus;
      offset: number;
      usage: SessionUsage | null;
      costUsd: number | null;
    }
  | { type: "error"; code: string; message: string };

type Fields = Record<string, unknown>;

function numberField(fields: Fields, name: string): number | null {
  const value = fields[name];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function stringField(fields: Fields, name: string): string | null {
  const value = fields[name];
  return typeof value === "string" ? value : null;
}

function parseUsage(value: unknown): SessionUsage | null {
  if (typeof value !== "object" || value === null) return null;
  const fields = value as Fields;
  const inputTokens = numberField(fields, "inputTokens");
  const outputTokens = numberField(fields, "outputTokens");
  if (inputTokens === null || outputTokens === null) return null;
  return { inputTokens, outputTokens, estimated: fields.estimated === true };
}

/**
 * Turns one SSE message (`event`, `data`, `id`) into a typed event. Returns null for events this
 * client does not know, so a newer server can add event types without breaking older tabs.
 * Throws on a known event whose data is not JSON: that is a broken stream, not a new feature.
 */
export function parseSessionEvent(
  event: string | undefined,
  data: string,
  id: string | undefined,
): SessionStreamEvent | null {
  if (event === undefined || event === "message") return null;
  const fields = JSON.parse(data) as Fields;
  switch (event) {
    case "session":
      return {
        type: "session",
        sessionId: stringField(fields, "sessionId") ?? "",
        conversationId: stringField(fields, "conversationId"),
        status: (stringField(fields, "status") ?? "live") as SessionStatus,
        offset: numberField(fields, "offset") ?? 0,
      };
    case "delta": {
      const endOffset = Number(id);
      if (id === undefined || !Number.isSafeInteger(endOffset))
        throw new Error("A delta arrived without a byte offset id.");
      return { type: "delta", endOffset, text: stringField(fields, "text") ?? "" };
    }
    case "progress":
      return {
        type: "progress",
        progress: {
          stage: stringField(fields, "stage"),
          outputTokens: numberField(fields, "outputTokens") ?? 0,
          elapsedMs: numberField(fields, "elapsedMs") ?? 0,
          credits: numberField(fields, "credits"),
        },
      };
    case "handoff":
      return {
        type: "handoff",
        status: (stringField(fields, "status") ?? "background") as SessionStatus,
        offset: numberField(fields, "offset") ?? 0,
      };
    case "done":
      return {
        type: "done",
        status: (stringField(fields, "status") ?? "completed") as SessionStatus,
        offset: numberField(fields, "offset") ?? 0,
        usage: parseUsage(fields.usage),
        costUsd: numberField(fields, "costUsd"),
      };
    case "error":
      return {
        type: "error",
        code: stringField(fields, "code") ?? "internal:stream",
        message: stringField(fields, "message") ?? "The session failed.",
      };
    default:
      return null;
  }
}

/** The SSE event names the stream endpoint sends; EventSource needs one listener per name. */
export const SESSION_EVENT_NAMES = ["session", "delta", "progress", "handoff", "done", "error"] as const;
