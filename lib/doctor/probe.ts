import http, { type ClientRequest, type IncomingMessage } from "node:http";
import https from "node:https";
import tls from "node:tls";
import zlib from "node:zlib";
import { createParser, type EventSourceParser } from "eventsource-parser";

/** One event as the doctor saw it arrive. */
export interface ArrivedEvent {
  event: string;
  data: string;
  /** Bytes of the event's `data` field. */
  bytes: number;
  /** Wall-clock arrival (ms since the epoch), comparable with the server's `sentAt` up to a constant skew. */
  arrivedAt: number;
}

/** What reading one diagnostic stream showed. */
export interface StreamReading {
  httpVersion: string;
  headers: Record<string, string | undefined>;
  /** ms from sending the request to the response headers, the first body byte, the first event. */
  timeToHeadersMs: number;
  timeToFirstByteMs: number | null;
  timeToFirstEventMs: number | null;
  events: ArrivedEvent[];
  /** Pings (`: ping` comments) seen. */
  pings: number;
  /** How it ended: the server's `done`, a close without it, or a network error. */
  end: "done" | "closed" | "error";
  endedAfterMs: number;
  error?: string;
}

export interface ReadStreamOptions {
  token: string;
  /** Gives up (and reports "error") after this long. */
  timeoutMs: number;
}

/** The request failed before any stream began (bad URL, refused connection, a non-200 answer). */
export class DoctorRequestError extends Error {}

/**
 * Reads an event stream the way a browser does: `Accept: text/event-stream`, the usual
 * `Accept-Encoding`, no decompression hidden from us (the raw `Content-Encoding` is reported, then
 * undone), and the body parsed with eventsource-parser as it arrives.
 */
export function readDiagnosticStream(url: URL, options: ReadStreamOptions): Promise<StreamReading> {
  const client = url.protocol === "https:" ? https : http;
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = client.get(url, { headers: browserLikeHeaders(options.token) });
    const timer = setTimeout(
      () => request.destroy(new Error(`no end within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.once("error", (error) => {
      clearTimeout(timer);
      if (!settled) reject(new DoctorRequestError(`${url.origin} could not be reached: ${error.message}`));
    });
    request.once("response", (response) => {
      settled = true;
      if (response.statusCode !== 200) {
        clearTimeout(timer);
        void refuse(response, url).then(reject);
        return;
      }
      followStream(request, response, since, (reading) => {
        clearTimeout(timer);
        resolve(reading);
      });
    });
  });
}

/** The headers a browser's EventSource sends, plus the access token. */
function browserLikeHeaders(token: string): Record<string, string> {
  return {
    accept: "text/event-stream",
    "accept-encoding": "gzip, deflate, br",
    "cache-control": "no-cache",
    authorization: `Bearer ${token}`,
    "user-agent": "overtime-stream-doctor",
  };
}

/**
 * Reads a 200 answer's body as it arrives and calls `ended` once, with what it showed, when the
 * stream ends in any way (done, closed, cut or failed).
 */
function followStream(
  request: ClientRequest,
  response: IncomingMessage,
  since: () => number,
  ended: (reading: StreamReading) => void,
): void {
  const reading = emptyReading(response, since());
  const parser = readingParser(reading, since);
  const decoder = new TextDecoder();
  const body = decoded(response);
  response.on("data", () => {
    reading.timeToFirstByteMs ??= since();
  });
  body.on("data", (chunk: Buffer) => parser.feed(decoder.decode(chunk, { stream: true })));
  let finished = false;
  const finish = (error?: Error) => {
    if (finished) return;
    finished = true;
    reading.endedAfterMs = since();
    if (error && reading.end !== "done") {
      reading.end = "error";
      reading.error = error.message;
    }
    ended(reading);
  };
  body.once("end", () => finish());
  body.once("error", finish);
  response.once("error", finish);
  response.once("aborted", () => finish(new Error("the connection was cut")));
  request.once("close", () => {
    if (!response.complete && reading.end !== "done") finish(new Error("the connection was cut"));
  });
}

/** A reading with the response's headers and nothing of its body yet. */
function emptyReading(response: IncomingMessage, timeToHeadersMs: number): StreamReading {
  return {
    httpVersion: response.httpVersion,
    headers: pickHeaders(response),
    timeToHeadersMs,
    timeToFirstByteMs: null,
    timeToFirstEventMs: null,
    events: [],
    pings: 0,
    end: "closed",
    endedAfterMs: 0,
  };
}

/** An event-stream parser that records each event and ping into `reading` as it arrives. */
function readingParser(reading: StreamReading, since: () => number): EventSourceParser {
  return createParser({
    onEvent(message) {
      reading.timeToFirstEventMs ??= since();
      reading.events.push({
        event: message.event ?? "message",
        data: message.data,
        bytes: Buffer.byteLength(message.data),
        arrivedAt: Date.now(),
      });
      if (message.event === "done") reading.end = "done";
    },
    onComment(comment) {
      if (comment.trim() === "ping") reading.pings += 1;
    },
  });
}

function decoded(response: IncomingMessage): NodeJS.ReadableStream {
  // Flush on every chunk so a compressed stream is measured as it arrives, not in inflater-sized bursts.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (response.headers["content-encoding"]) {
    case "gzip":
      return response.pipe(zlib.createGunzip(flush));
    case "deflate":
      return response.pipe(zlib.createInflate(flush));
    case "br":
      return response.pipe(zlib.createBrotliDecompress());
    default:
      return response;
  }
}

function pickHeaders(response: IncomingMessage): Record<string, string | undefined> {
  const one = (name: string) => {
    const value = response.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
  return Object.fromEntries(
    [
      "content-type",
      "cache-control",
      "x-accel-buffering",
      "content-encoding",
      "transfer-encoding",
      "via",
      "server",
    ].map((name) => [name, one(name)]),
  );
}

async function refuse(response: IncomingMessage, url: URL): Promise<DoctorRequestError> {
  let text = "";
  for await (const chunk of response) text += String(chunk);
  let detail = text.slice(0, 200);
  try {
    const body = JSON.parse(text) as { code?: string; message?: string };
    detail = `${body.code}: ${body.message}`;
  } catch {
    // Not our JSON (a proxy's error page): show its start.
  }
  const hint =
    response.statusCode === 401
      ? " The access token was refused: pass a fresh one with --token."
      : response.statusCode === 429
        ? ` Try again in ${response.headers["retry-after"] ?? "a few"} s.`
        : "";
  return new DoctorRequestError(`GET ${url.pathname} answered ${response.statusCode} (${detail}).${hint}`);
}

/** The protocol a TLS server picks when offered HTTP/2 and HTTP/1.1 (as browsers offer). */
export function negotiateAlpn(url: URL, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: url.hostname,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("TLS handshake timed out")));
    socket.once("secureConnect", () => {
      const protocol = socket.alpnProtocol || "http/1.1";
      socket.end();
      resolve(protocol);
    });
    socket.once("error", reject);
  });
}
