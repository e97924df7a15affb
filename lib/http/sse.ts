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
  /** Events already formatted by the caller (`data: …\n\n` each, JSON without raw newlines), or their UTF-8. */
  sendFrames(frames: string | Uint8Array): void;
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

/**
 * One turn's writes as few pieces of bytes: text joined before it is encoded (one encode per turn),
 * bytes as they are (a replay page of frames is megabytes: never copied again).
 */
function joinPieces(pieces: (string | Uint8Array)[]): Uint8Array[] {
  const joined: Uint8Array[] = [];
  let text: string[] = [];
  for (const piece of pieces) {
    if (typeof piece === "string") {
      text.push(piece);
      continue;
    }
    if (text.length > 0) joined.push(encode(text.join("")));
    text = [];
    joined.push(piece);
  }
  if (text.length > 0) joined.push(encode(text.join("")));
  return joined;
}

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
function sseWriter(
  write: (text: string | Uint8Array) => void,
  close: () => void,
  ended: AbortSignal,
): SseWriter {
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
  let pending: (string | Uint8Array)[] = [];
  const flush = () => {
    if (pending.length === 0 || ended.signal.aborted) return;
    const pieces = pending;
    pending = [];
    try {
      for (const bytes of joinPieces(pieces)) controller.enqueue(bytes);
    } catch {
      finish();
    }
  };
  const write = (text: string | Uint8Array) => {
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
      // The retry field goes out at once, on its own: the response's first bytes.
      c.enqueue(encode(`retry: ${options.retryMs ?? 2000}\n\n`));
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
