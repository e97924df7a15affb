import {
  agentListSchema,
  backgroundAcceptanceSchema,
  cancelResultSchema,
  conversationSchema,
  sessionSnapshotSchema,
} from "@/lib/session/wire.ts";
import { ApiError, fetchWire, readApiError, unreadable } from "./api-client.ts";
import type {
  AgentOption,
  BackgroundAcceptance,
  ChatRequest,
  Conversation,
  SessionSnapshot,
} from "./session-types.ts";
import { streamMeter } from "./stream-meter.ts";

export { ApiError, readApiError } from "./api-client.ts";

export function fetchSessionSnapshot(sessionId: string, signal?: AbortSignal): Promise<SessionSnapshot> {
  return fetchWire(`/api/sessions/${encodeURIComponent(sessionId)}`, sessionSnapshotSchema, { signal });
}

export function fetchConversation(conversationId: string, signal?: AbortSignal): Promise<Conversation> {
  return fetchWire(`/api/conversations/${encodeURIComponent(conversationId)}`, conversationSchema, {
    signal,
  });
}

export function fetchAgents(signal?: AbortSignal): Promise<AgentOption[]> {
  return fetchWire("/api/agents", agentListSchema, { signal });
}

/** The stream endpoint from a cursor (`streamCursor`: the wire's `<generation>:<offset>`, or a plain offset). */
export function sessionStreamUrl(sessionId: string, cursor: string): string {
  return `/api/sessions/${encodeURIComponent(sessionId)}/stream?offset=${encodeURIComponent(cursor)}`;
}

/** Cancels a running session. A 409 (already finished) is an outcome, not an error. */
export async function cancelSession(
  sessionId: string,
): Promise<{ outcome: "cancelled"; offset: number } | { outcome: "already-finished" }> {
  const url = `/api/sessions/${encodeURIComponent(sessionId)}/cancel`;
  const response = await fetch(url, { method: "POST" });
  if (response.status === 409) return { outcome: "already-finished" };
  if (!response.ok) throw await readApiError(response);
  const parsed = cancelResultSchema.safeParse(await response.json());
  if (!parsed.success) throw unreadable(url, parsed.error);
  return { outcome: "cancelled", offset: parsed.data.offset };
}

export type ChatStart =
  | { kind: "live"; body: ReadableStream<Uint8Array<ArrayBuffer>> }
  | { kind: "background"; acceptance: BackgroundAcceptance };

/** `POST /api/chat`: either the live SSE body or, for background sessions, the 202 acceptance. */
export async function startChat(request: ChatRequest, signal: AbortSignal): Promise<ChatStart> {
  streamMeter.opened("POST /api/chat", true);
  const response = await fetch("/api/chat", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(request),
    signal,
  });
  if (!response.ok) throw await readApiError(response);
  streamMeter.headers();
  if (response.status === 202) {
    const parsed = backgroundAcceptanceSchema.safeParse(await response.json());
    if (!parsed.success) throw unreadable("/api/chat", parsed.error);
    return { kind: "background", acceptance: parsed.data };
  }
  if (!response.body)
    throw new ApiError(response.status, "internal:stream", "The server answered without a stream.");
  return { kind: "live", body: response.body };
}
