import { AppError } from "../errors.ts";

/**
 * The Durable Streams wire vocabulary (PROTOCOL.md of durable-streams/durable-streams, the version
 * `@durable-streams/client` 0.2.7 speaks): header and query names, offsets, cursors and the headers
 * every response carries.
 */
export const DS = {
  nextOffset: "Stream-Next-Offset",
  upToDate: "Stream-Up-To-Date",
  closed: "Stream-Closed",
  cursor: "Stream-Cursor",
  ttl: "Stream-TTL",
  expiresAt: "Stream-Expires-At",
  seq: "Stream-Seq",
  sseEncoding: "Stream-SSE-Data-Encoding",
  producerId: "Producer-Id",
  producerEpoch: "Producer-Epoch",
  producerSeq: "Producer-Seq",
  producerExpectedSeq: "Producer-Expected-Seq",
  producerReceivedSeq: "Producer-Received-Seq",
} as const;

const OFFSET_DIGITS = 16;

/**
 * An offset on the wire: the byte offset zero-padded to 16 digits, so offsets sort as strings in the
 * order of the bytes they address (the protocol requires lexicographic order).
 */
export function formatOffset(bytes: number): string {
  return String(bytes).padStart(OFFSET_DIGITS, "0");
}

/** Where a read starts: a byte offset, or the tail (`now`). `-1` (and no offset) is byte 0. */
export type ReadFrom = { kind: "bytes"; offset: number; raw: string } | { kind: "now" };

/** Parses `?offset=`: absent, `-1`, `now` or up to 16 digits; anything else is a 400. */
export function parseReadOffset(params: URLSearchParams): ReadFrom | null {
  const all = params.getAll("offset");
  if (all.length === 0) return null;
  if (all.length > 1) throw new AppError("bad_request:offset", "offset: give it once.");
  const raw = all[0] ?? "";
  if (raw === "-1") return { kind: "bytes", offset: 0, raw };
  if (raw === "now") return { kind: "now" };
  if (!/^\d{1,16}$/.test(raw)) {
    throw new AppError("bad_request:offset", "offset: expected -1, now, or an offset this server sent.");
  }
  return { kind: "bytes", offset: Number(raw), raw };
}

const CURSOR_EPOCH_MS = Date.UTC(2024, 9, 9);
const CURSOR_INTERVAL_SECONDS = 20;

/**
 * The `Stream-Cursor` of a live response (PROTOCOL.md §8.1): the number of the current 20 s
 * interval, so a CDN collapses the requests of one interval; a client cursor already at or past it
 * moves on by a random jitter, so no client ever cycles back to a cached answer.
 */
export function responseCursor(clientCursor: string | null, now = Date.now()): string {
  const current = Math.floor((now - CURSOR_EPOCH_MS) / (CURSOR_INTERVAL_SECONDS * 1000));
  const client = clientCursor === null ? Number.NaN : Number.parseInt(clientCursor, 10);
  if (!Number.isFinite(client) || client < current) return String(current);
  const jitterSeconds = 1 + Math.floor(Math.random() * 3600);
  return String(client + Math.max(1, Math.ceil(jitterSeconds / CURSOR_INTERVAL_SECONDS)));
}

const REQUEST_HEADERS = [
  "content-type",
  "authorization",
  "if-none-match",
  DS.seq,
  DS.ttl,
  DS.expiresAt,
  DS.closed,
  DS.producerId,
  DS.producerEpoch,
  DS.producerSeq,
];
const EXPOSED_HEADERS = [
  DS.nextOffset,
  DS.cursor,
  DS.upToDate,
  DS.closed,
  DS.ttl,
  DS.expiresAt,
  DS.sseEncoding,
  DS.producerEpoch,
  DS.producerSeq,
  DS.producerExpectedSeq,
  DS.producerReceivedSeq,
  "etag",
  "content-type",
  "content-encoding",
  "location",
  "vary",
];

/** CORS and the browser security headers (PROTOCOL.md §10.7), on every response including errors. */
export const COMMON_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": REQUEST_HEADERS.join(", "),
  "access-control-expose-headers": EXPOSED_HEADERS.join(", "),
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "cross-origin",
};

/** Adds the common headers to a response (without replacing what it set itself). */
export function withCommonHeaders(response: Response): Response {
  for (const [name, value] of Object.entries(COMMON_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
}

/** The media type of a content type, lower case, without parameters. */
export function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/** JSON mode: appends are JSON values, reads are JSON arrays. */
export function isJsonType(contentType: string): boolean {
  return mediaType(contentType) === "application/json";
}

/** SSE sends a binary stream's bytes as base64; text and JSON go as they are. */
export function isTextType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type.startsWith("text/") || type === "application/json";
}
