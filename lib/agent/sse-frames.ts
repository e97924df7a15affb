import { createParser } from "eventsource-parser";

/** One server-sent event as the wire delivered it. */
export interface SseFrame {
  event?: string;
  data: string;
}

/**
 * Decodes a byte stream into SSE frames. There is exactly ONE streaming TextDecoder per stream:
 * a chunk boundary may fall inside a multi-byte character (or a CRLF pair, or a field name), and
 * only a decoder that carries its state across chunks reassembles it. Comments (`: ping`) and
 * `retry:` fields are dropped; an unterminated last event is discarded, as the SSE spec says.
 * Errors of the underlying byte stream (connection drops, aborts) propagate to the caller.
 */
export async function* readSseFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder("utf-8");
  const pending: SseFrame[] = [];
  const parser = createParser({
    onEvent: (message) => {
      pending.push(
        message.event === undefined ? { data: message.data } : { event: message.event, data: message.data },
      );
    },
  });
  for await (const chunk of chunks) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift()!;
  }
  parser.feed(decoder.decode());
  while (pending.length > 0) yield pending.shift()!;
}
