import type { ServerResponse } from "node:http";
import { providerId, sendJson } from "./http-io.ts";

/** Seconds the simulator asks a rate-limited client to wait (`fault=http429`). */
export const RETRY_AFTER_SECONDS = 1;

export type ErrorKind = "unauthorized" | "invalid_request" | "not_found" | "rate_limited" | "server_error";

/** OpenAI's shape: `{"error":{"message","type","param","code"}}`. */
export function sendOpenAiError(response: ServerResponse, kind: ErrorKind, message?: string): void {
  const shapes: Record<ErrorKind, [number, string, string | null, string]> = {
    unauthorized: [401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided."],
    invalid_request: [400, "invalid_request_error", null, "Invalid request."],
    not_found: [404, "invalid_request_error", null, "Not found."],
    rate_limited: [
      429,
      "requests",
      "rate_limit_exceeded",
      "Rate limit reached for requests. Please try again in 1s.",
    ],
    server_error: [500, "server_error", null, "The server had an error while processing your request."],
  };
  const [status, type, code, fallback] = shapes[kind];
  sendJson(
    response,
    status,
    { error: { message: message ?? fallback, type, param: null, code } },
    { "x-request-id": providerId("req"), ...retryAfter(kind) },
  );
}

/** The OpenClaw gateway's shape (`src/gateway/http-common.ts`): `{"error":{"message","type"}}`. */
export function sendOpenClawError(response: ServerResponse, kind: ErrorKind, message?: string): void {
  const shapes: Record<ErrorKind, [number, string, string]> = {
    unauthorized: [401, "unauthorized", "Unauthorized"],
    invalid_request: [400, "invalid_request_error", "Invalid request"],
    not_found: [404, "not_found", "Not Found"],
    rate_limited: [429, "rate_limited", "Too Many Requests"],
    server_error: [500, "api_error", "Internal Server Error"],
  };
  const [status, type, fallback] = shapes[kind];
  sendJson(response, status, { error: { message: message ?? fallback, type } }, retryAfter(kind));
}

/** Anthropic's shape: `{"type":"error","error":{"type","message"},"request_id"}`. */
export function sendAnthropicError(response: ServerResponse, kind: ErrorKind, message?: string): void {
  const shapes: Record<ErrorKind, [number, string, string]> = {
    unauthorized: [401, "authentication_error", "invalid x-api-key"],
    invalid_request: [400, "invalid_request_error", "Invalid request"],
    not_found: [404, "not_found_error", "Not found"],
    rate_limited: [429, "rate_limit_error", "Number of requests has exceeded your rate limit."],
    server_error: [500, "api_error", "Internal server error"],
  };
  const [status, type, fallback] = shapes[kind];
  const requestId = providerId("req");
  sendJson(
    response,
    status,
    { type: "error", error: { type, message: message ?? fallback }, request_id: requestId },
    { "request-id": requestId, ...retryAfter(kind) },
  );
}

function retryAfter(kind: ErrorKind): Record<string, string> {
  return kind === "rate_limited" ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
}
