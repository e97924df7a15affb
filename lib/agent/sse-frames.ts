import { createParser, type EventSourceParser } from "eventsource-parser";

/** One server-sent event as the wire delivered it. */
export interface SseFrame {
  event?: string;
  data: string;
}

/**
 * Decodes a byte stream into SSE frames, chunk by chunk, without a promise per frame: `feed` answers
 * the frames each chunk completes, `end` those the stream's end completes. There is exactly ONE
 * streaming TextDecoder per stream: a chunk boundary may fall inside a multi-byte character (or a
 * CRLF pair, or a field name), and only a decoder that carries its state across chunks reassembles
 * it. Comments (`: ping`) and `retry:` fields are dropped; an unterminated last event is discarded,
 * as the SSE spec says.
 */
export class SseFrameDecoder {
  readonly #decoder = new TextDecoder("utf-8");
  #frames: SseFrame[] = [];
  readonly #parser: EventSourceParser = createParser({
    onEvent: (message) => {
      this.#frames.push(
        message.event === undefined ? { data: message.data } : { event: message.event, data: message.data },
      );
    },
  });

  /** The frames this chunk completes, in order. */
  feed(chunk: Uint8Array): SseFrame[] {
    this.#parser.feed(this.#decoder.decode(chunk, { stream: true }));
    return this.#take();
  }

  /** The frames the end of the stream completes (bytes the decoder still held). */
  end(): SseFrame[] {
    this.#parser.feed(this.#decoder.decode());
    return this.#take();
  }

  #take(): SseFrame[] {
    const frames = this.#frames;
    if (frames.length > 0) this.#frames = [];
    return frames;
  }
}
