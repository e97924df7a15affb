import type { IncomingMessage, ServerResponse } from "node:http";

/** GoTrue's `HTTPError`: a status, an `error_code` (auth-js `AuthApiError.code`) and a message. */
export class GoTrueHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** Extra top-level fields, e.g. `weak_password: { reasons }`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "GoTrueHttpError";
  }
}

/** GoTrue's `OAuthError` (unsupported grant, missing refresh token): always 400, RFC 6749 shape. */
export class GoTrueOAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "GoTrueOAuthError";
  }
}

export const API_VERSION_HEADER = "x-supabase-api-version";
const API_VERSION_2024_01_01 = "2024-01-01";

/**
 * The API version the client asked for, as GoTrue resolves it: a date at or after 2024-01-01 selects
 * the `{code, message}` error body (and is echoed in the response header); anything else, or none,
 * selects the initial `{code: <status>, error_code, msg}` body.
 */
function requestedApiVersion(req: IncomingMessage): string | undefined {
  const raw = req.headers[API_VERSION_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  return value >= API_VERSION_2024_01_01 ? API_VERSION_2024_01_01 : undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Writes an error exactly as GoTrue's `HandleResponseError` would; unknown errors become 500. */
export function sendGoTrueError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const version = requestedApiVersion(req);
  if (version) res.setHeader(API_VERSION_HEADER, version);
  if (error instanceof GoTrueOAuthError) {
    sendJson(res, 400, { error: error.error, error_description: error.description });
    return;
  }
  const httpError =
    error instanceof GoTrueHttpError
      ? error
      : new GoTrueHttpError(
          500,
          "unexpected_failure",
          "Unexpected failure, please check server logs for more information",
        );
  if (!(error instanceof GoTrueHttpError)) {
    console.error("auth stand-in: unexpected failure", { error });
  }
  if (version) {
    sendJson(res, httpError.status, {
      code: httpError.errorCode,
      message: httpError.message,
      ...httpError.extra,
    });
  } else {
    sendJson(res, httpError.status, {
      code: httpError.status,
      error_code: httpError.errorCode,
      msg: httpError.message,
      ...httpError.extra,
    });
  }
}
