import { logError } from "../log.ts";
import { DS, formatOffset, isJsonType, isTextType, type ReadFrom, responseCursor } from "./protocol.ts";
import {
  jsonArray,
  type StreamPage,
  type StreamSource,
  type StreamState,
  waitForChange,
} from "./read-source.ts";
import { startOffset } from "./reads.ts";

/** Bytes per `event: data` of a catch-up. */
const SSE_PAGE_BYTES = 256 * 1024;

export interface SseOptions {
  from: ReadFrom;
  cursor: string | null;
  /** A control event goes out after this long without data (keeps proxies from timing out). */
  keepAliveMs: number;
  /** The connection closes after about this long; the client reconnects from its last offset. */
  lifetimeMs: number;
  signal: AbortSignal;
  /** Log context (never secrets). */
  logContext: Record<string, unknown>;
}

const encoder = new TextEncoder();

/**
 * Every line of a payload its own `data:` line, split on CR, LF and CRLF alike, so no payload can
 * end an event early or inject one. Clients strip one space after the colon: a line that starts
 * with a space gets one more (else that byte of the payload would be lost), others none.
 */
export function sseData(payload: string): string {
  return `${payload
    .split(/\r\n|\r|\n/)
    .map((line) => (line.startsWith(" ") ? `data: ${line}` : `data:${line}`))
    .join("\n")}\n\n`;
}

/**
 * GET `live=sse` (PROTOCOL.md §5.7): `event: data` frames (base64 for binary streams), each followed
 * by an `event: control` with `streamNextOffset` and `streamCursor` (`upToDate` at the tail,
 * `streamClosed` instead of the cursor at the end of a closed stream). Idle, it waits on the
 * process's LISTEN, sends a control event every `keepAliveMs`, and closes after `lifetimeMs`.
 */
export function sseResponse(source: StreamSource, options: SseOptions): Response {
  const from = startOffset(options.from, source.state);
  const headers = new Headers({
    "content-type": "text/event-stream",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  const base64 = !isTextType(source.contentType);
  if (base64) headers.set(DS.sseEncoding, "base64");
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener("abort", onAbort);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (!stop.signal.aborted) controller.enqueue(encoder.encode(text));
      };
      pump(source, from, { ...options, signal: stop.signal }, write, base64)
        .catch((error: unknown) =>
          logError("durable stream SSE read failed", { ...options.logContext, error }),
        )
        .finally(() => {
          options.signal.removeEventListener("abort", onAbort);
          if (!stop.signal.aborted) controller.close();
          stop.abort();
        });
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, { status: 200, headers });
}

async function pump(
  source: StreamSource,
  from: number,
  options: SseOptions,
  write: (text: string) => void,
  base64: boolean,
): Promise<void> {
  const deadline = Date.now() + options.lifetimeMs;
  const decoder = new TextDecoder();
  const encode = (page: StreamPage) => {
    if (isJsonType(source.contentType)) return jsonArray(page.pieces).toString("utf8");
    const bytes = Buffer.concat(page.pieces);
    return base64 ? bytes.toString("base64") : decoder.decode(bytes, { stream: true });
  };
  let state: StreamState = source.state;
  let position = from;
  let announced = false;
  while (!options.signal.aborted) {
    if (position < state.tail) {
      const page = await source.read(position, SSE_PAGE_BYTES);
      if (page === "gone" || page.pieces.length === 0) return;
      write(`event: data\n${sseData(encode(page))}`);
      position = page.end;
      announced = writeControl(write, position, state, options.cursor);
      if (state.closed && position >= state.tail) return;
      continue;
    }
    // A close with no data of its own still needs its final control event.
    if (!announced || state.closed) announced = writeControl(write, position, state, options.cursor);
    if (state.closed) return;
    const left = deadline - Date.now();
    if (left <= 0) return;
    let latest: StreamState | null = state;
    const moved = async () => {
      latest = await source.refresh();
      return latest === null || latest.tail > position || latest.closed;
    };
    const outcome = await waitForChange(source, Math.min(options.keepAliveMs, left), options.signal, moved);
    if (outcome === "aborted") return;
    if (outcome === "timeout") {
      // The connection's time is up: the client reconnects from its last offset.
      if (Date.now() >= deadline) return;
      latest = await source.refresh();
      // A keep-alive repeats the control event; new data brings its own.
      announced = false;
    }
    if (latest === null) return;
    state = latest;
  }
}

/** The control event after data or at the tail; true once sent. */
function writeControl(
  write: (text: string) => void,
  position: number,
  state: StreamState,
  cursor: string | null,
): true {
  const upToDate = position >= state.tail;
  const control: Record<string, string | boolean> = { streamNextOffset: formatOffset(position) };
  if (upToDate) control.upToDate = true;
  // The final control event has no cursor. It says upToDate too (implied by streamClosed): the
  // official client hands a reader the closing chunk only from a control event that says it.
  if (state.closed && upToDate) control.streamClosed = true;
  else control.streamCursor = responseCursor(cursor);
  write(`event: control\n${sseData(JSON.stringify(control))}`);
  return true;
}
