import type { SseFrame } from "./sse-frames.ts";
import type { AgentCursor, AgentDoneReason, AgentEvent } from "./types.ts";

/**
 * Maps one protocol's SSE frames to agent events. Stateful (one per stream): it remembers what a
 * later frame needs (finish reason, usage so far, the cursor). `ended` turns true after the
 * protocol's terminal event or after an error event; the reader stops there.
 */
export interface FrameMapper {
  map(frame: SseFrame): AgentEvent[];
  readonly ended: boolean;
  /** The cursor to attach to transport-generated errors (detachable transports only). */
  readonly cursor: AgentCursor | undefined;
}

/**
 * What the connection-bound mappers (Anthropic, chat completions) share: no cursor (such a run cannot
 * be re-attached), and the two ways the stream ends, an error event or `done`.
 */
export abstract class ConnectionBoundMapper implements FrameMapper {
  ended = false;
  readonly cursor = undefined;

  abstract map(frame: SseFrame): AgentEvent[];

  /** Ends the stream with one (error) event. */
  protected fail(event: AgentEvent): AgentEvent[] {
    this.ended = true;
    return [event];
  }

  /** Ends the stream with `done`: the protocol's stop reason by `reasons`, unknown ones "incomplete", none "completed". */
  protected finish(stopReason: string | undefined, reasons: Record<string, AgentDoneReason>): AgentEvent[] {
    this.ended = true;
    return [{ type: "done", reason: stopReason ? (reasons[stopReason] ?? "incomplete") : "completed" }];
  }
}

export type JsonObject = Record<string, unknown>;

/** Provider error codes that describe a transient condition: the same request may succeed later. */
const retryableProviderCodes = new Set([
  "server_error",
  "api_error",
  "internal_error",
  "overloaded_error",
  "rate_limit_exceeded",
  "rate_limit_error",
  "rate_limited",
  "timeout",
  "service_unavailable",
]);

export type AgentErrorEvent = Extract<AgentEvent, { type: "error" }>;

export function providerError(code: string, message: string, cursor?: AgentCursor): AgentErrorEvent {
  return withCursor({ type: "error", code, message, retryable: retryableProviderCodes.has(code) }, cursor);
}

export function malformedFrame(detail: string, cursor?: AgentCursor): AgentErrorEvent {
  return withCursor({ type: "error", code: "malformed_frame", message: detail, retryable: false }, cursor);
}

export function unknownEvent(name: string, cursor?: AgentCursor): AgentErrorEvent {
  return withCursor(
    {
      type: "error",
      code: "unknown_event",
      message: `Unknown event "${name}" in the agent stream.`,
      retryable: false,
    },
    cursor,
  );
}

export function withCursor<E extends AgentEvent>(event: E, cursor: AgentCursor | undefined): E {
  return cursor ? { ...event, cursor: { ...cursor } } : event;
}

/** Parses a frame's data as a JSON object, or returns why it is not one. */
export function parseFrameObject(frame: SseFrame): JsonObject | string {
  let value: unknown;
  try {
    value = JSON.parse(frame.data);
  } catch {
    return `Frame data is not JSON: ${frame.data.slice(0, 120)}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `Frame data is not a JSON object: ${frame.data.slice(0, 120)}`;
  }
  return value as JsonObject;
}

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
