import { EventSourceParserStream } from "eventsource-parser/stream";
import { decodeSessionEvent, type SessionStreamEvent } from "@/lib/session/wire.ts";
import { streamMeter } from "./stream-meter.ts";

/** What a consumer wants after an event: keep reading, or let go of this connection. */
export type StreamDecision = "continue" | "stop";

/**
 * Reads a `fetch` SSE body (the live `POST /api/chat` answer) event by event. Resolves "stopped" when
 * the consumer let go, "ended" when the server closed the stream; rejects if the connection broke, or
 * with a WireError for an event it cannot decode. One streaming TextDecoder keeps multi-byte
 * characters split across chunks intact.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  onEvent: (event: SessionStreamEvent) => StreamDecision,
): Promise<"ended" | "stopped"> {
  const reader = body
    .pipeThrough(meterReads())
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ onError: "terminate" }))
    .getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return "ended";
      streamMeter.event(value.data);
      const event = decodeSessionEvent(value.event, value.data, value.id);
      if (event && onEvent(event) === "stop") return "stopped";
    }
  } finally {
    // Releases the connection whether we stopped, ended or failed; a cancel of a closed stream is a no-op.
    await reader.cancel().catch(() => undefined);
  }
}

/** Passes chunks on unchanged, telling the `?debug=stream` meter when each network read arrives. */
function meterReads(): TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>> {
  return new TransformStream({
    transform(chunk, controller) {
      streamMeter.chunk();
      controller.enqueue(chunk);
    },
  });
}
