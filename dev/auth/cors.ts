import type { IncomingMessage, ServerResponse } from "node:http";

/** Every header the Supabase client libraries send (supabase-js `cors.ts` plus the auth API version). */
const ALLOWED_HEADERS = [
  "apikey",
  "authorization",
  "content-type",
  "x-client-info",
  "x-supabase-api-version",
  "x-retry-count",
  "traceparent",
  "tracestate",
  "baggage",
  "prefer",
  "range",
].join(", ");

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/**
 * CORS as the Supabase gateway answers a browser: the request's origin is echoed (credentials allowed),
 * and `X-Supabase-Api-Version` is exposed so auth-js can read error codes. Returns true when the request
 * was a preflight and has been answered.
 */
export function applySupabaseCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("access-control-allow-credentials", "true");
    res.setHeader("access-control-expose-headers", "x-supabase-api-version, content-range");
    res.setHeader("vary", "Origin");
  }
  if (req.method !== "OPTIONS") return false;
  res.setHeader("access-control-allow-methods", ALLOWED_METHODS);
  res.setHeader("access-control-allow-headers", ALLOWED_HEADERS);
  res.setHeader("access-control-max-age", "86400");
  res.writeHead(204);
  res.end();
  return true;
}
