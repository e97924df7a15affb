import { createSseStream, type SseWriter } from "../http/sse.ts";
import { logError } from "../log.ts";
import { SESSION_STATE_HEADER } from "./overtime-chat-transport.ts";
import type { UiChunk } from "./sequence.ts";

/** The AI SDK's UI message stream headers (protocol v1) plus what our proxies need (DESIGN §5). */
export const UI_MESSAGE_STREAM_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-store, no-transform",
  connection: "keep-alive",
  "x-vercel-ai-ui-message-stream": "v1",
  "x-accel-buffering": "no",
};

/**
 * Consecutive text deltas as UTF-8: delta k is `utf8` from `bounds[k]` to `bounds[k + 1]` (always on
 * character boundaries). A replay passes the row's bytes cut where the deltas ended, decoding nothing.
 */
export interface UiTextRun {
  utf8: Uint8Array;
  bounds: number[];
}
/** The deltas of a run as strings. */
export function textRunDeltas(run: UiTextRun): string[] {
  const decoder = new TextDecoder();
  return run.bounds.slice(1).map((to, k) => decoder.decode(run.utf8.subarray(run.bounds[k], to)));
}

/** The session's state as a reader shows it (status bar): not in the numbered sequence. */
export interface UiSessionState {
  status: string;
  runner: string | null;
  seams: number[];
}

/**
 * `SESSION_STATE_HEADER`: a reader sends it to receive `data-session` parts, transient, unnumbered
 * chunks with the session's status, runner and seams at the start of a read and whenever they change.
 * Opt-in, since a reader that counts every chunk (`WorkflowChatTransport`) would count them;
 * `OvertimeChatTransport` sends it and does not count them.
 */
export { SESSION_STATE_HEADER };

/** Writes the chunks of one read, numbering them from 0 and skipping those before `startIndex`. */
export interface UiChunkWriter {
  write(chunk: UiChunk): void;
  /** A `data-session` part (transient, unnumbered), sent only to readers that asked for it. */
  state(state: UiSessionState): void;
  /** `text-delta` chunks of the text part `id`, one per delta of `run` (what `write` would send, in bulk). */
  writeTextRun(id: string, run: UiTextRun): void;
  /** `data: [DONE]`, then the end of the response. */
  done(): void;
  /** A failure after the headers went out: an `error` chunk with a sentence, then the end. */
  fail(error: unknown, context: Record<string, unknown>): void;
  /** Chunks numbered so far (sent or skipped). */
  readonly index: number;
  readonly closed: boolean;
}

/** A chunk's JSON; text deltas (nearly every chunk of a replay) skip the generic encoder. */
function encodeChunk(chunk: UiChunk): string {
  if (chunk.type === "text-delta" && chunk.providerMetadata === undefined)
    return `{"type":"text-delta","id":${JSON.stringify(chunk.id)},"delta":${JSON.stringify(chunk.delta)}}`;
  return JSON.stringify(chunk);
}

const FRAME_TAIL = [0x22, 0x7d, 0x0a, 0x0a]; // `"}\n\n`

/**
 * The SSE frames of `text-delta` chunks of the text part `id`, one per delta of `run`. Text with
 * nothing JSON escapes (JSON adds only its quotes) is copied as bytes between a fixed head and tail:
 * no string, template and encode per delta (a replay of a live answer has 65,536 deltas per MiB).
 * Anything else goes through JSON.stringify, delta by delta.
 */
function textDeltaFrames(id: string, run: UiTextRun): string | Uint8Array {
  const head = `data: {"type":"text-delta","id":${JSON.stringify(id)},"delta":`;
  const frames = plainTextDeltaFrames(`${head}"`, run);
  return (
    frames ??
    textRunDeltas(run)
      .map((delta) => `${head}${JSON.stringify(delta)}}\n\n`)
      .join("")
  );
}

/**
 * The frames as UTF-8, or null when the text holds what JSON escapes in a string: a quote, a
 * backslash or a control character. (UTF-8 of well-formed text holds no lone surrogate, and the bytes
 * of every other character are 0x80 and above.)
 */
function plainTextDeltaFrames(head: string, { utf8, bounds }: UiTextRun): Uint8Array | null {
  const open = new TextEncoder().encode(head);
  const count = bounds.length - 1;
  const frames = new Uint8Array(count * (open.length + FRAME_TAIL.length) + bounds[count]! - bounds[0]!);
  let at = 0;
  for (let k = 0; k < count; k++) {
    frames.set(open, at);
    at += open.length;
    for (let i = bounds[k]!, to = bounds[k + 1]!; i < to; i++) {
      const byte = utf8[i]!;
      if (byte < 0x20 || byte === 0x22 || byte === 0x5c) return null;
      frames[at++] = byte;
    }
    for (const byte of FRAME_TAIL) frames[at++] = byte;
  }
  return frames;
}

function uiChunkWriter(writer: SseWriter, startIndex: number, withState: boolean): UiChunkWriter {
  let index = 0;
  let lastState = "";
  return {
    write(chunk) {
      if (index >= startIndex) writer.sendData(encodeChunk(chunk));
      index += 1;
    },
    state(state) {
      const data = JSON.stringify(state);
      if (!withState || data === lastState || writer.closed) return;
      lastState = data;
      writer.sendData(`{"type":"data-session","transient":true,"data":${data}}`);
    },
    writeTextRun(id, run) {
      const count = run.bounds.length - 1;
      const skip = Math.min(count, Math.max(0, startIndex - index));
      index += count;
      if (skip < count)
        writer.sendFrames(textDeltaFrames(id, skip > 0 ? { ...run, bounds: run.bounds.slice(skip) } : run));
    },
    done() {
      writer.sendData("[DONE]");
      writer.close();
    },
    fail(error, context) {
      logError("UI message stream failed", { ...context, error });
      writer.sendData(JSON.stringify({ type: "error", errorText: "The stream failed on our side." }));
      writer.close();
    },
    get index() {
      return index;
    },
    get closed() {
      return writer.closed;
    },
  };
}

/**
 * A UI message stream body: `start` receives the chunk writer; the stream ends when the writer is
 * done (after `start` resolves), or with an `error` chunk if `start` throws or rejects. Heartbeats are SSE comments, which AI SDK parsers skip.
 */
export function createUiMessageStream(
  start: (writer: UiChunkWriter) => void | Promise<void>,
  options: {
    startIndex?: number;
    /** Send `data-session` parts (the reader asked with `SESSION_STATE_HEADER`). */
    withState?: boolean;
    signal?: AbortSignal;
    onClose?: () => void;
    context?: Record<string, unknown>;
  },
): ReadableStream<Uint8Array> {
  return createSseStream(
    async (sse) => {
      const writer = uiChunkWriter(sse, options.startIndex ?? 0, options.withState ?? false);
      try {
        await start(writer);
      } catch (error) {
        writer.fail(error, options.context ?? {});
        return;
      }
      // The SSE helper closes the stream once this resolves: a writer that ends later (the live
      // runner's feed calls `done`) keeps it open until then, or until the client goes away.
      if (!sse.signal.aborted)
        await new Promise<void>((resolve) =>
          sse.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
    },
    { signal: options.signal, onClose: options.onClose },
  );
}

/** Whether the request asked for `data-session` parts. */
export function wantsSessionState(request: Request): boolean {
  return request.headers.get(SESSION_STATE_HEADER) === "1";
}

export function uiMessageStreamResponse(
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) {
  return new Response(body, { status: 200, headers: { ...UI_MESSAGE_STREAM_HEADERS, ...headers } });
}
