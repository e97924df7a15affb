import { AppError } from "../errors.ts";
import { goneError } from "./errors.ts";
import { DS, formatOffset, isJsonType, type ReadFrom, responseCursor } from "./protocol.ts";
import { FIRST_READ_BYTES, streamedBody } from "./read-body.ts";
import { type StreamPage, type StreamSource, type StreamState, waitForChange } from "./read-source.ts";

/** One catch-up or long-poll response carries about this much (plus one stored piece). */
export const READ_PAGE_BYTES = 4 * 1024 * 1024;

export interface ReadOptions {
  from: ReadFrom | null;
  live: "long-poll" | null;
  cursor: string | null;
  ifNoneMatch: string | null;
  longPollMs: number;
  signal: AbortSignal;
}

/** Where a read starts in bytes; past the tail is a 400 (no offset this server sent lies there). */
export function startOffset(from: ReadFrom | null, state: StreamState): number {
  if (from === null) return 0;
  if (from.kind === "now") return state.tail;
  if (from.offset > state.tail) {
    throw new AppError("bad_request:offset", "offset: past the end of the stream.");
  }
  return from.offset;
}

/**
 * GET without `live` or with `live=long-poll` (PROTOCOL.md §5.5–5.6): the bytes from the offset with
 * `Stream-Next-Offset`, `Stream-Up-To-Date` and, at the tail of a closed stream, `Stream-Closed`. A
 * long-poll at the tail waits for the next append (or the close) and answers 204 when none came.
 */
export async function readResponse(source: StreamSource, options: ReadOptions): Promise<Response> {
  let state = source.state;
  const from = startOffset(options.from, state);
  if (options.from?.kind === "now" && options.live === null) return nowResponse(source);
  if (options.live === "long-poll" && from >= state.tail && !state.closed) {
    const waited = await waitForData(source, from, options);
    if (waited === null) return timeoutResponse(from, options.cursor, source.state.closed);
    state = waited;
  }
  let first: StreamPage = { pieces: [], end: from };
  let end = from;
  if (from < state.tail) {
    const read = await source.read(from, FIRST_READ_BYTES);
    if (read === "gone") throw goneError();
    first = read;
    // A response ends at the tail, or at the end of the stored piece holding byte READ_PAGE_BYTES.
    end =
      state.tail - from <= READ_PAGE_BYTES ? state.tail : await source.pieceEndAfter(from + READ_PAGE_BYTES);
  }
  const upToDate = end >= state.tail;
  const closed = state.closed && upToDate;
  if (options.live === "long-poll" && closed && end === from) {
    return timeoutResponse(from, options.cursor, true);
  }
  const startParam = options.from?.kind === "bytes" ? options.from.raw : "-1";
  const etag = `"${source.etagId}:${startParam}:${formatOffset(end)}${closed ? ":c" : ""}"`;
  const headers = new Headers({
    "content-type": source.contentType,
    [DS.nextOffset]: formatOffset(end),
    etag,
    // A page that ends before the tail never changes; one at the tail may grow on the next append.
    // no-transform: compressing in the server would hold bytes back (and cost the first byte).
    "cache-control": upToDate
      ? "no-store, no-transform"
      : `${source.cacheScope}, max-age=60, stale-while-revalidate=300, no-transform`,
  });
  if (upToDate) headers.set(DS.upToDate, "true");
  if (closed) headers.set(DS.closed, "true");
  if (options.live === "long-poll") headers.set(DS.cursor, responseCursor(options.cursor));
  if (options.ifNoneMatch === etag) return new Response(null, { status: 304, headers: { etag } });
  const body = streamedBody(source, { from, end }, first, isJsonType(source.contentType));
  return new Response(body, { status: 200, headers });
}

/**
 * Waits at the tail until the stream grows or closes: its new state, or null after the long-poll
 * timeout (or when the client left).
 */
async function waitForData(
  source: StreamSource,
  from: number,
  options: ReadOptions,
): Promise<StreamState | null> {
  const deadline = Date.now() + options.longPollMs;
  let latest: StreamState | null = source.state;
  const moved = async () => {
    latest = await source.refresh();
    if (latest === null) throw new AppError("not_found:stream", "Stream not found.");
    return latest.tail > from || latest.closed;
  };
  while (Date.now() < deadline) {
    const outcome = await waitForChange(source, deadline - Date.now(), options.signal, moved);
    if (outcome !== "changed") return null;
    if (latest === null) return null;
    const state: StreamState = latest;
    if (state.tail > from || state.closed) return state;
    // A wake for something else (a session's progress): wait on.
  }
  return null;
}

/** 204 at the tail: nothing new within the timeout, or the stream closed with nothing more. */
function timeoutResponse(from: number, cursor: string | null, closed: boolean): Response {
  const headers = new Headers({
    [DS.nextOffset]: formatOffset(from),
    [DS.upToDate]: "true",
    "cache-control": "no-store",
  });
  if (closed) headers.set(DS.closed, "true");
  else headers.set(DS.cursor, responseCursor(cursor));
  return new Response(null, { status: 204, headers });
}

/** `offset=now` without live: the tail and nothing else, never cached. */
function nowResponse(source: StreamSource): Response {
  const { tail, closed } = source.state;
  const headers = new Headers({
    "content-type": source.contentType,
    [DS.nextOffset]: formatOffset(tail),
    [DS.upToDate]: "true",
    "cache-control": "no-store",
  });
  if (closed) headers.set(DS.closed, "true");
  return new Response(isJsonType(source.contentType) ? "[]" : null, { status: 200, headers });
}

/** HEAD: the stream's metadata (and never cached: the tail moves). */
export function headResponse(source: StreamSource, extra: Record<string, string> = {}): Response {
  const { tail, closed } = source.state;
  const headers = new Headers({
    "content-type": source.contentType,
    [DS.nextOffset]: formatOffset(tail),
    "cache-control": "no-store",
    etag: `"${source.etagId}:-1:${formatOffset(tail)}${closed ? ":c" : ""}"`,
    ...extra,
  });
  if (closed) headers.set(DS.closed, "true");
  return new Response(null, { status: 200, headers });
}
