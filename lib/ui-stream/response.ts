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
  /** `text-delta` chunks of the text part `id`, one per delta (what `write` would send, in bulk). */
  writeTextDeltas(id: string, deltas: string[]): void;
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
    writeTextDeltas(id, deltas) {
      const head = `data: {"type":"text-delta","id":${JSON.stringify(id)},"delta":`;
      // Text with nothing to escape (JSON adds only its quotes) is its own JSON in quotes: one
      // escape check per run instead of one encoder call per delta.
      const joined = deltas.join("");
      const plain = JSON.stringify(joined).length === joined.length + 2;
      const frames: string[] = [];
      for (const delta of deltas) {
        if (index >= startIndex)
          frames.push(plain ? `${head}"${delta}"}\n\n` : `${head}${JSON.stringify(delta)}}\n\n`);
        index += 1;
      }
      if (frames.length > 0) writer.sendFrames(frames.join(""));
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
