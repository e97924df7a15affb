import type { z } from "zod";
import { apiErrorSchema } from "@/lib/session/wire.ts";

/**
 * The browser's one way to read the JSON API: every body is decoded with its wire schema
 * (`lib/session/wire.ts`), every refusal becomes an `ApiError` with the server's code.
 */

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
export function unreadable(url: string, error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "body";
  return new ApiError(
    502,
    "unreadable_response",
    `The server's answer to ${url} is unreadable (${where}: ${issue?.message}).`,
  );
}

export interface WireRequest {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls one JSON endpoint and decodes its answer with `schema`: a refusal throws `ApiError` with the
 * server's code and message, a body that does not fit the contract throws `unreadable_response`.
 * A `204 No Content` is decoded as `undefined`.
 */
export async function fetchWire<Schema extends z.ZodType>(
  url: string,
  schema: Schema,
  request: WireRequest = {},
): Promise<z.infer<Schema>> {
  const response = await fetch(url, {
    method: request.method ?? "GET",
    cache: "no-store",
    headers: request.body === undefined ? undefined : { "content-type": "application/json" },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    signal: request.signal,
  });
  if (!response.ok) throw await readApiError(response);
  const parsed = schema.safeParse(response.status === 204 ? undefined : await response.json());
  if (!parsed.success) throw unreadable(url, parsed.error);
  return parsed.data;
}
