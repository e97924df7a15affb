import { logError } from "../log.ts";

/**
 * A small Server-Sent Events writer over a web ReadableStream (DESIGN §5), after hono's SSE helper:
 * formats fields, refuses newlines in `event`/`id`, sends `retry:` first and a `: ping` comment every
 * 15 s, stops writing once the client is gone, and closes itself in `finally` when `start` settles.
 */
export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-store, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

export interface SseWriter {
  send(event: string, data: unknown, id?: string | number): void;
  /** An unnamed event: `data: <text>` (the AI SDK's UI message stream sends only these). */
  sendData(text: string): void;
  /** Events already formatted by the caller (`data: …\n\n` each, JSON without raw newlines). */
  sendFrames(frames: string): void;
  comment(text: string): void;
  /** Ends the stream early; the stream also ends by itself when `start` settles. */
  close(): void;
  readonly closed: boolean;
  /** Aborted when the stream ends, whoever ended it (the client going away included). */
  readonly signal: AbortSignal;
}

export interface SseStreamOptions {
  retryMs?: number;
  heartbeatMs?: number;
  /** The request's signal: the stream ends when the client goes away. */
  signal?: AbortSignal;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;
}

/** Writes the stream until the promise settles; the stream closes itself then. */
export type SseStart = (writer: SseWriter) => void | Promise<void>;

const encoder = new TextEncoder();
/** UTF-8 bytes of a frame: Node's Buffer where there is one (faster on large pages), else TextEncoder. */
const encode: (text: string) => Uint8Array =
  typeof Buffer === "undefined" ? (text) => encoder.encode(text) : (text) => Buffer.from(text, "utf8");

function assertSingleLine(field: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${field} must not contain a newline`);
}

/** One event's frame: an optional `id:` line, then `event:` and the JSON `data:`. */
function formatEvent(event: string, data: unknown, id?: string | number): string {
  assertSingleLine("event", event);
  let frame = "";
  if (id !== undefined) {
    assertSingleLine("id", String(id));
    frame += `id: ${id}\n`;
  }
  return `${frame}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The writer handed to `start`, over the stream's raw `write` and `close`. */
function sseWriter(write: (text: string) => void, close: () => void, ended: AbortSignal): SseWriter {
  return {
    send(event, data, id) {
      write(formatEvent(event, data, id));
    },
    sendData(text) {
      assertSingleLine("data", text);
      write(`data: ${text}\n\n`);
    },
    sendFrames(frames) {
      write(frames);
    },
    comment(text) {
      assertSingleLine("comment", text);
      write(`: ${text}\n\n`);
    },
    close,
    get closed() {
      return ended.aborted;
    },
    signal: ended,
  };
}

/**
 * Runs the caller's `start` and closes the stream in `finally`, whether it returns, resolves, throws
 * or rejects. `start` runs synchronously up to its first `await`, so subscriptions it makes exist
 * before the caller goes on.
 */
async function runStart(start: SseStart, writer: SseWriter): Promise<void> {
  try {
    await start(writer);
  } catch (error) {
    // The stream already said 200: a failure becomes an `error` event, never a silent close.
    logError("event stream failed", { error });
    writer.send("error", { code: "internal:stream", message: "The stream failed on our side." });
  } finally {
    writer.close();
  }
}

/** Creates the stream and hands its writer to `start`; returns the Response body. */
export function createSseStream(start: SseStart, options: SseStreamOptions = {}): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const ended = new AbortController();
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const finish = () => {
    if (ended.signal.aborted) return;
    clearInterval(heartbeat);
    options.signal?.removeEventListener("abort", finish);
    ended.abort();
    options.onClose?.();
  };

  // Writes made in one turn of the event loop go out as one piece (a replay page of thousands of
  // events costs one enqueue, not one each); a live event still leaves in the turn it was written.
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0 || ended.signal.aborted) return;
    const text = pending.length === 1 ? pending[0]! : pending.join("");
    pending = [];
    try {
      controller.enqueue(encode(text));
    } catch {
      finish();
    }
  };
  const write = (text: string) => {
    if (ended.signal.aborted) return;
    if (pending.push(text) === 1) queueMicrotask(flush);
  };

  const close = () => {
    if (ended.signal.aborted) return;
    flush();
    finish();
    try {
      controller.close();
    } catch {
      // Already closed by the client.
    }
  };

  const writer = sseWriter(write, close, ended.signal);

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      write(`retry: ${options.retryMs ?? 2000}\n\n`);
      heartbeat = setInterval(() => writer.comment("ping"), options.heartbeatMs ?? 15_000);
      if (options.signal?.aborted) finish();
      options.signal?.addEventListener("abort", finish, { once: true });
      void runStart(start, writer);
    },
    cancel() {
      finish();
    },
  });
}

export function sseResponse(body: ReadableStream<Uint8Array>, status = 200): Response {
  return new Response(body, { status, headers: SSE_HEADERS });
}
