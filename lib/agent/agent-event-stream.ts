import type { FrameMapper } from "./frame-mapper.ts";
import { withCursor } from "./frame-mapper.ts";
import { SseFrameDecoder } from "./sse-frames.ts";
import type { AgentEvent } from "./types.ts";

/**
 * The protocol-independent half of every transport: bytes → SSE frames → agent events, until the
 * mapper sees the terminal event. Never throws for stream problems: a broken connection and a
 * stream that ends without its terminal event are error events. When `signal` is aborted the
 * iteration just ends — the caller asked for it. Errors of the byte stream (connection drops,
 * aborts) surface from its iteration. Frames are decoded chunk by chunk in one step
 * (`SseFrameDecoder`): a token costs one promise here, not one per stage.
 */
export async function* agentEventsFromBytes(
  chunks: AsyncIterable<Uint8Array>,
  mapper: FrameMapper,
  signal?: AbortSignal,
): AsyncGenerator<AgentEvent> {
  const decoder = new SseFrameDecoder();
  const bytes = chunks[Symbol.asyncIterator]();
  let open = true;
  try {
    while (open) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await bytes.next();
      } catch (error) {
        open = false;
        if (signal?.aborted) return;
        yield connectionLost(error, mapper);
        return;
      }
      open = !next.done;
      for (const frame of next.done ? decoder.end() : decoder.feed(next.value)) {
        for (const event of mapper.map(frame)) yield storable(event);
        if (mapper.ended) return;
      }
    }
    if (signal?.aborted) return;
    yield withCursor(
      {
        type: "error",
        code: "stream_truncated",
        message: "The agent stream ended without its final event.",
        retryable: true,
      },
      mapper.cursor,
    );
  } finally {
    // Closes the byte stream when we stop early (terminal event, consumer break): a
    // connection-bound agent is released instead of streaming into a socket nobody reads.
    // A byte stream that already failed may reject its cancel; that failure was reported above.
    if (open) await closeQuietly(bytes);
  }
}

async function closeQuietly(bytes: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    await bytes.return?.();
  } catch {
    // Reported through the iteration already, or nobody is left to tell.
  }
}

/**
 * Postgres text cannot hold U+0000, so a NUL in an agent's text would make every checkpoint write
 * fail. It becomes U+FFFD here, before the text reaches the live stream or the log, so both hold
 * the same bytes and offsets agree.
 */
function storable(event: AgentEvent): AgentEvent {
  return event.type === "text" && event.text.includes("\u0000")
    ? { ...event, text: event.text.replaceAll("\u0000", "\uFFFD") }
    : event;
}

function connectionLost(error: unknown, mapper: FrameMapper): AgentEvent {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? cause.message : "";
  return withCursor(
    {
      type: "error",
      code: "connection_lost",
      message: `The agent connection broke mid-stream${detail ? `: ${detail}` : ""}.`,
      retryable: true,
    },
    mapper.cursor,
  );
}
