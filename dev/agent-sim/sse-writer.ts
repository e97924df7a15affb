import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

export interface SimFrame {
  event?: string;
  data: string;
}

export function serializeFrame(frame: SimFrame): string {
  return frame.event === undefined
    ? `data: ${frame.data}\n\n`
    : `event: ${frame.event}\ndata: ${frame.data}\n\n`;
}

/** Byte offsets inside multi-byte characters (before a UTF-8 continuation byte). */
function splitPointsInsideCharacters(bytes: Buffer): number[] {
  const points: number[] = [];
  for (let index = 1; index < bytes.length && points.length < 2; index++) {
    if ((bytes[index]! & 0xc0) === 0x80 && (bytes[index - 1]! & 0xc0) !== 0x80) points.push(index);
  }
  return points;
}

/**
 * Writes SSE to one client connection. Headers go out at once (as every provider does), writes
 * honour backpressure, and the faults that live on the wire are here: `splitUtf8` writes each
 * frame in pieces cut inside multi-byte characters (with a pause, so they arrive as separate
 * reads), and `drop()` cuts the TCP connection without a proper end.
 */
export class SseWriter {
  readonly #response: ServerResponse;
  readonly #splitUtf8: boolean;

  constructor(response: ServerResponse, options: { splitUtf8?: boolean } = {}) {
    this.#response = response;
    this.#splitUtf8 = options.splitUtf8 ?? false;
  }

  open(headers: Record<string, string> = {}): void {
    this.#response.socket?.setNoDelay(true);
    this.#response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...headers,
    });
    this.#response.flushHeaders();
  }

  /** True once the client went away or we ended the response. */
  get closed(): boolean {
    return this.#response.destroyed || this.#response.writableEnded;
  }

  async write(frames: SimFrame[]): Promise<void> {
    if (frames.length === 0) return;
    await this.writeRaw(frames.map(serializeFrame).join(""));
  }

  async writeRaw(payload: string): Promise<void> {
    if (this.closed) return;
    const bytes = Buffer.from(payload, "utf8");
    if (!this.#splitUtf8) return this.#writeBytes(bytes);
    let start = 0;
    for (const point of splitPointsInsideCharacters(bytes)) {
      await this.#writeBytes(bytes.subarray(start, point));
      await sleep(2);
      start = point;
    }
    await this.#writeBytes(bytes.subarray(start));
  }

  async #writeBytes(bytes: Buffer): Promise<void> {
    if (this.closed || bytes.length === 0) return;
    if (!this.#response.write(bytes)) {
      await Promise.race([once(this.#response, "drain"), once(this.#response, "close")]);
    }
  }

  end(): void {
    if (!this.closed) this.#response.end();
  }

  /**
   * Cuts the TCP connection mid-stream, without the chunked-encoding terminator: the client sees a
   * premature close. (A FIN, not a RST, so the frames written before the cut still arrive and a
   * test knows exactly which tokens the client got.)
   */
  drop(): void {
    this.#response.socket?.end();
  }
}
