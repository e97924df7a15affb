/**
 * The one error type the app raises on purpose. The code's first part decides the HTTP status and
 * whether the message is shown to the caller (`visible`) or only logged.
 */
export type ErrorKind =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "gone"
  | "payment_required"
  | "payload_too_large"
  | "rate_limit"
  | "unavailable"
  | "bad_gateway"
  | "service_unavailable"
  | "internal";

export type ErrorCode = `${ErrorKind}:${string}`;

const statusByKind: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  /** Deleted on purpose and not coming back (a session log past SESSION_RETENTION_DAYS). */
  gone: 410,
  payload_too_large: 413,
  rate_limit: 429,
  internal: 500,
  /** An agent's configuration or upstream failed (a wrong agent token, model or URL): not the caller's fault. */
  bad_gateway: 502,
  unavailable: 503,
  /** An agent is overloaded, rate-limited or unreachable for now. */
  service_unavailable: 503,
};

/**
 * Marks an AppError whichever copy of this module made it: Next.js bundles instrumentation.ts (which
 * builds the runtime) and each route separately, so an error a runtime member throws (its
 * `requireUser`, its lifecycle) is an instance of another copy of the class than the route's.
 */
const APP_ERROR: unique symbol = Symbol.for("overtime.AppError");

export class AppError extends Error {
  /** `instanceof AppError` by the mark, so every bundle's copy of the class answers alike. */
  static [Symbol.hasInstance](value: unknown): value is AppError {
    return typeof value === "object" && value !== null && APP_ERROR in value;
  }

  readonly [APP_ERROR] = true;
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly status: number;
  /** Extra fields sent with the error body (e.g. `balance` for 402). */
  readonly details: Record<string, unknown> | undefined;
  /** Seconds to send as `Retry-After` with a 429. */
  readonly retryAfterSeconds: number | undefined;
  /** Extra response headers (e.g. `Allow` with a 405). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      details?: Record<string, unknown>;
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.kind = code.split(":")[0] as ErrorKind;
    this.status = statusByKind[this.kind];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }

  /** Internal errors keep their message in the log only. */
  get visible(): boolean {
    return this.kind !== "internal";
  }

  toResponse(): Response {
    const headers = new Headers({ ...this.headers, "content-type": "application/json" });
    if (this.retryAfterSeconds !== undefined)
      headers.set("retry-after", String(Math.ceil(this.retryAfterSeconds)));
    const message = this.visible ? this.message : "Something went wrong on our side.";
    return new Response(JSON.stringify({ code: this.code, message, ...this.details }), {
      status: this.status,
      headers,
    });
  }
}

/** Normalises anything thrown into an AppError, once, at the edge. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("internal:unexpected", error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
