import { goneError } from "./errors.ts";
import type { StreamPage, StreamSource } from "./read-source.ts";

/** The first read of a response is small so its first byte goes out at once; later reads are larger. */
export const FIRST_READ_BYTES = 32 * 1024;
const LATER_READ_BYTES = 256 * 1024;

/**
 * A response body of the bytes [from, end), read page by page as the client takes them (memory stays
 * at one page). `first` is the page already read (its "gone" was answered before the headers). In
 * JSON mode the stored values become one array: `[`, the pieces, the last one without its trailing
 * comma, `]`. A page gone mid-body (retention) errors the body.
 */
export function streamedBody(
  source: StreamSource,
  range: { from: number; end: number },
  first: StreamPage,
  json: boolean,
): ReadableStream<Uint8Array> {
  let position = range.from;
  let pending: StreamPage | null = first;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (json) controller.enqueue(new TextEncoder().encode("["));
      if (range.end <= range.from) finish(controller);
    },
    async pull(controller) {
      const page = pending ?? (await source.read(position, LATER_READ_BYTES));
      pending = null;
      if (page === "gone" || page.pieces.length === 0) {
        controller.error(goneError());
        return;
      }
      for (const piece of page.pieces) {
        const pieceEnd = Math.min(position + piece.length, range.end);
        let bytes = piece.subarray(0, pieceEnd - position);
        if (json && pieceEnd >= range.end) bytes = bytes.subarray(0, bytes.length - 1);
        controller.enqueue(new Uint8Array(bytes));
        position = pieceEnd;
        if (position >= range.end) break;
      }
      if (position >= range.end) finish(controller);
    },
  });

  function finish(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (json) controller.enqueue(new TextEncoder().encode("]"));
    controller.close();
  }
}
