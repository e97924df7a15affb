/**
 * An agent request that failed before any stream started: an HTTP error status or a network
 * failure (status 0). `code` is ours and stable; the provider's own error type is kept apart.
 */
export class AgentHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;
  /** The provider's error type or code from the body (`invalid_request_error`, `rate_limit_exceeded`, …). */
  readonly providerCode?: string;

  constructor(
    message: string,
    fields: {
      status: number;
      code: string;
      retryable: boolean;
      retryAfterSeconds?: number;
      providerCode?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AgentHttpError";
    this.status = fields.status;
    this.code = fields.code;
    this.retryable = fields.retryable;
    if (fields.retryAfterSeconds !== undefined) this.retryAfterSeconds = fields.retryAfterSeconds;
    if (fields.providerCode !== undefined) this.providerCode = fields.providerCode;
  }
}

const codeByStatus: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  408: "timeout",
  409: "conflict",
  413: "payload_too_large",
  422: "bad_request",
  429: "rate_limited",
  529: "overloaded",
};

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

interface HeaderReader {
  get(name: string): string | null;
}

/** Reads `Retry-After` (seconds or an HTTP date) and OpenAI's `retry-after-ms`. */
export function parseRetryAfter(headers: HeaderReader, now = Date.now()): number | undefined {
  const milliseconds = headers.get("retry-after-ms");
  if (milliseconds && Number.isFinite(Number(milliseconds))) return Math.max(0, Number(milliseconds) / 1000);
  const value = headers.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The provider's message and type, from any of the three error shapes we speak. */
function describeErrorBody(body: string): { message?: string; providerCode?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
    const error = parsed.error;
    if (!error || typeof error !== "object") return {};
    const code =
      typeof error.code === "string" ? error.code : typeof error.type === "string" ? error.type : undefined;
    return {
      ...(typeof error.message === "string" ? { message: error.message } : {}),
      ...(code !== undefined ? { providerCode: code } : {}),
    };
  } catch {
    // Not JSON (a proxy's HTML page, OpenClaw's plain-text 405): the body itself is the message.
    return body.trim() ? { message: body.trim() } : {};
  }
}

/** Turns a non-2xx response into a typed error; reads (and so releases) the body. */
export async function agentHttpErrorFrom(
  agentName: string,
  response: { status: number; headers: HeaderReader; text(): Promise<string> },
): Promise<AgentHttpError> {
  const body = await response.text().catch(() => "");
  const { message, providerCode } = describeErrorBody(body.slice(0, 4096));
  const retryAfterSeconds = parseRetryAfter(response.headers);
  const code = codeByStatus[response.status] ?? (response.status >= 500 ? "server_error" : "http_error");
  return new AgentHttpError(
    `Agent ${agentName} answered HTTP ${response.status}${message ? `: ${message.slice(0, 300)}` : ""}`,
    {
      status: response.status,
      code,
      retryable: isRetryableStatus(response.status),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(providerCode !== undefined ? { providerCode } : {}),
    },
  );
}

/** A request that never got a response (refused, DNS, TLS, reset before headers). */
export function agentNetworkError(agentName: string, error: unknown): AgentHttpError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? cause.message : String(cause);
  // A connect or read timeout is not an unreachable agent (undici: UND_ERR_CONNECT_TIMEOUT, …).
  const causeCode = (cause as { code?: unknown } | null)?.code;
  const timedOut = typeof causeCode === "string" && /TIMEOUT|ETIMEDOUT/.test(causeCode);
  return new AgentHttpError(
    `Agent ${agentName} is unreachable: ${detail}${timedOut ? ` (${causeCode})` : ""}`,
    { status: 0, code: timedOut ? "timeout" : "network", retryable: true },
    { cause: error },
  );
}
