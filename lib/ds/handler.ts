import { createHash, timingSafeEqual } from "node:crypto";
import { deleteDsStream, getDsStream } from "../db/ds-streams.ts";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import { route } from "../http/route.ts";
import { parseWith } from "../http/validate.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { requireOwnedSession } from "../session/snapshot.ts";
import { otherStreamSource } from "./other-stream-source.ts";
import { appendOtherStream, createOtherStream } from "./other-stream-writes.ts";
import { DS, parseReadOffset, withCommonHeaders } from "./protocol.ts";
import type { StreamSource } from "./read-source.ts";
import { headResponse, readResponse } from "./reads.ts";
import { liveSchema } from "./request-headers.ts";
import { sessionStreamSource } from "./session-stream.ts";
import { sseResponse } from "./sse.ts";

export type DsMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE";

/** SSE sends a control event at least this often while idle (proxies drop silent connections). */
const SSE_KEEP_ALIVE_MS = 15_000;

/**
 * A route handler for `/api/ds/v1/stream/<path>` on the process's runtime (read per request: routes
 * are loaded before it exists at build time): errors become their status like every API error, and
 * every answer, errors included, carries the protocol's CORS and security headers.
 */
export function dsRoute(method: DsMethod, runtime: () => Runtime) {
  const handler = route(async (request: Request, context: { params: Promise<{ path: string[] }> }) => {
    const { path } = await context.params;
    return handleDsRequest(runtime(), method, request, path);
  });
  return async (request: Request, context: { params: Promise<{ path: string[] }> }) =>
    withCommonHeaders(await handler(request, context));
}

/** OPTIONS (CORS preflight): no authorisation, just the headers. */
export function dsPreflight(): Response {
  return withCommonHeaders(new Response(null, { status: 204 }));
}

/**
 * One protocol request. `sessions/<id>` is that session's log, read-only, for its owner; every other
 * path is an other stream, for holders of the service key.
 */
export async function handleDsRequest(
  runtime: Runtime,
  method: DsMethod,
  request: Request,
  segments: string[],
): Promise<Response> {
  const { sql, env } = runtime;
  if (segments[0] === "sessions") return sessionStreamRequest(runtime, method, request, segments);
  requireServiceKey(env, request);
  const path = segments.join("/");
  if (method === "PUT") return createOtherStream(sql, path, request);
  if (method === "POST") return appendOtherStream(sql, path, request);
  if (method === "DELETE") {
    if (!(await deleteDsStream(sql, path))) throw new AppError("not_found:stream", "Stream not found.");
    return new Response(null, { status: 204 });
  }
  const row = await getDsStream(sql, path, method === "GET");
  if (!row) throw new AppError("not_found:stream", "Stream not found.");
  const source = otherStreamSource(runtime, row);
  if (method === "HEAD") {
    const extra: Record<string, string> = {};
    if (row.ttlSeconds !== null) extra[DS.ttl] = String(row.ttlSeconds);
    if (row.expiresAtText !== null) extra[DS.expiresAt] = row.expiresAtText;
    return headResponse(source, extra);
  }
  return readStream(env, source, request, { path });
}

async function sessionStreamRequest(
  runtime: Runtime,
  method: DsMethod,
  request: Request,
  segments: string[],
): Promise<Response> {
  if (method !== "GET" && method !== "HEAD") {
    // A session's one producer is its runner; nobody writes to it through the protocol.
    throw new AppError("method_not_allowed:session_stream", "Session streams are read-only.", {
      headers: { allow: "GET, HEAD, OPTIONS" },
    });
  }
  const user = await runtime.requireUser(request);
  const sessionId = segments.length === 2 ? (segments[1] ?? "") : "";
  const session = await requireOwnedSession(runtime.sql, sessionId, user.id);
  // The process's one LISTEN hub wakes its readers (lib/runtime).
  const source = sessionStreamSource(runtime, session);
  if (method === "HEAD") return headResponse(source);
  return readStream(runtime.env, source, request, { sessionId: session.id, userId: user.id });
}

function readStream(
  env: Env,
  source: StreamSource,
  request: Request,
  logContext: Record<string, unknown>,
): Response | Promise<Response> {
  const params = new URL(request.url).searchParams;
  const from = parseReadOffset(params);
  const live = parseWith(liveSchema, params.get("live"), "bad_request:live");
  if (live !== null && from === null) {
    throw new AppError("bad_request:offset", "offset: live reads start at an offset (-1 for the start).");
  }
  const longPollMs = env.DS_LONG_POLL_SECONDS * 1000;
  if (live === "sse" && from !== null) {
    return sseResponse(source, {
      from,
      cursor: params.get("cursor"),
      keepAliveMs: Math.min(SSE_KEEP_ALIVE_MS, longPollMs),
      lifetimeMs: env.DS_SSE_SECONDS * 1000,
      signal: request.signal,
      logContext,
    });
  }
  return readResponse(source, {
    from,
    live: live === "long-poll" ? live : null,
    cursor: params.get("cursor"),
    ifNoneMatch: request.headers.get("if-none-match"),
    longPollMs,
    signal: request.signal,
  });
}

/**
 * Other streams are for the server side: the caller presents the service key (SUPABASE_SECRET_KEY)
 * as `Authorization: Bearer <key>` or `apikey: <key>`; anything else is 401.
 */
function requireServiceKey(env: Env, request: Request): void {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  const presented = bearer ?? request.headers.get("apikey");
  if (!presented) throw new AppError("unauthorized:service_key", "Other streams need the service key.");
  const digest = (value: string) => createHash("sha256").update(value).digest();
  if (!timingSafeEqual(digest(presented), digest(env.SUPABASE_SECRET_KEY))) {
    throw new AppError("unauthorized:service_key", "Other streams need the service key.");
  }
}
