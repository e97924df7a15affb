import type {
  AgentOption,
  BackgroundAcceptance,
  ChatRequest,
  Conversation,
  SessionSnapshot,
  SessionStatus,
} from "./session-types.ts";
import { streamMeter } from "./stream-meter.ts";

/** A refused API call, with what the UI needs to explain it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Credits left, sent with 402 `payment_required:credits`. */
  readonly balance: number | null;
  /** From the `Retry-After` header of a 429. */
  readonly retryAfterSeconds: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { balance?: number | null; retryAfterSeconds?: number | null } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.balance = extra.balance ?? null;
    this.retryAfterSeconds = extra.retryAfterSeconds ?? null;
  }

  /** The sentence shown to the user. */
  get explanation(): string {
    if (this.status === 402) {
      const balance = this.balance === null ? "" : ` Your balance is ${this.balance} credits.`;
      return `Not enough credits to start a session.${balance}`;
    }
    if (this.status === 429) {
      const wait = this.retryAfterSeconds === null ? "a moment" : `${this.retryAfterSeconds} s`;
      return `Too many sessions at once. Try again in ${wait}.`;
    }
    return this.message;
  }
}

function parseRetryAfter(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Reads an error response (JSON `{ code, message, ...details }`) into an ApiError. */
export async function readApiError(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is to say.
  }
  const code = typeof body.code === "string" ? body.code : `http:${response.status}`;
  const message =
    typeof body.message === "string"
      ? body.message
      : `The request failed (${response.status} ${response.statusText}).`;
  return new ApiError(response.status, code, message, {
    balance: typeof body.balance === "number" ? body.balance : null,
    retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after")),
  });
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(url, { cache: "no-store", signal });
  if (!response.ok) throw await readApiError(response);
  return (await response.json()) as T;
}

export function fetchSessionSnapshot(sessionId: string, signal?: AbortSignal): Promise<SessionSnapshot> {
  return getJson(`/api/sessions/${encodeURIComponent(sessionId)}`, signal);
}

export function fetchConversation(conversationId: string, signal?: AbortSignal): Promise<Conversation> {
  return getJson(`/api/conversations/${encodeURIComponent(conversationId)}`, signal);
}

export function fetchAgents(signal?: AbortSignal): Promise<AgentOption[]> {
  return getJson("/api/agents", signal);
}

export function sessionStreamUrl(sessionId: string, offset: number): string {
  return `/api/sessions/${encodeURIComponent(sessionId)}/stream?offset=${offset}`;
}

/** Cancels a running session. A 409 (already finished) is an outcome, not an error. */
export async function cancelSession(
  sessionId: string,
): Promise<{ outcome: "cancelled"; offset: number } | { outcome: "already-finished" }> {
  const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/cancel`, { method: "POST" });
  if (response.status === 409) return { outcome: "already-finished" };
  if (!response.ok) throw await readApiError(response);
  const body = (await response.json()) as { status: SessionStatus; offset: number };
  return { outcome: "cancelled", offset: body.offset };
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
  if (response.status === 202)
    return { kind: "background", acceptance: (await response.json()) as BackgroundAcceptance };
  if (!response.body)
    throw new ApiError(response.status, "internal:stream", "The server answered without a stream.");
  return { kind: "live", body: response.body };
}
