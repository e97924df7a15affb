import type { z } from "zod";
import {
  agentListSchema,
  apiErrorSchema,
  backgroundAcceptanceSchema,
  cancelResultSchema,
  conversationSchema,
  sessionSnapshotSchema,
} from "@/lib/session/wire.ts";
import type {
  AgentOption,
  BackgroundAcceptance,
  ChatRequest,
  Conversation,
  SessionSnapshot,
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
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
  const body = apiErrorSchema.safeParse(await response.json().catch(() => null));
  if (!body.success) {
    // Not our JSON (a proxy's error page): the status line is all there is to say.
    const message = `The request failed (${response.status} ${response.statusText}).`;
    return new ApiError(response.status, `http:${response.status}`, message, { retryAfterSeconds });
  }
  return new ApiError(response.status, body.data.code, body.data.message, {
    balance: body.data.balance ?? null,
    retryAfterSeconds,
  });
}

/** A 2xx body that does not match the contract: a broken deployment, named as such. */
function unreadable(url: string, error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "body";
  return new ApiError(
    502,
    "unreadable_response",
    `The server's answer to ${url} is unreadable (${where}: ${issue?.message}).`,
  );
}

async function getJson<Schema extends z.ZodType>(
  url: string,
  schema: Schema,
  signal?: AbortSignal,
): Promise<z.infer<Schema>> {
  const response = await fetch(url, { cache: "no-store", signal });
  if (!response.ok) throw await readApiError(response);
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) throw unreadable(url, parsed.error);
  return parsed.data;
}

export function fetchSessionSnapshot(sessionId: string, signal?: AbortSignal): Promise<SessionSnapshot> {
  return getJson(`/api/sessions/${encodeURIComponent(sessionId)}`, sessionSnapshotSchema, signal);
}

export function fetchConversation(conversationId: string, signal?: AbortSignal): Promise<Conversation> {
  return getJson(`/api/conversations/${encodeURIComponent(conversationId)}`, conversationSchema, signal);
}

export function fetchAgents(signal?: AbortSignal): Promise<AgentOption[]> {
  return getJson("/api/agents", agentListSchema, signal);
}

/** The stream endpoint from a cursor (`<generation>:<offset>`, or a plain offset). */
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
