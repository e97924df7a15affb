const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

/** What applying a delta did: grew the text, was already known, or would leave a hole. */
export type DeltaOutcome = "appended" | "duplicate" | "gap";

/** Output text addressed by UTF-8 byte offset like the session log: `offset` is its byte length. */
export interface LogText {
  readonly text: string;
  readonly offset: number;
}

export const emptyLogText: LogText = { text: "", offset: 0 };

/**
 * Applies a delta that ends at byte `endOffset`: accepts each byte exactly once whatever order or
 * repetition the connections (live POST, replay, reconnects, Realtime) deliver them in.
 */
export function appendDelta(
  log: LogText,
  endOffset: number,
  text: string,
): { log: LogText; outcome: DeltaOutcome } {
  if (endOffset <= log.offset) return { log, outcome: "duplicate" };
  const bytes = encoder.encode(text);
  const startOffset = endOffset - bytes.byteLength;
  if (startOffset > log.offset) return { log, outcome: "gap" };
  // Invariant: offsets only ever fall on character boundaries (the server refuses others), so the
  // unseen suffix of an overlapping delta decodes to whole characters.
  const unseen = startOffset === log.offset ? text : decoder.decode(bytes.subarray(log.offset - startOffset));
  return { log: { text: log.text + unseen, offset: endOffset }, outcome: "appended" };
}

/** Drops what lies past `offset` (a rewind: a newer producer replaced those bytes). */
export function truncateLog(log: LogText, offset: number): LogText {
  if (offset >= log.offset) return log;
  return { text: decoder.decode(encoder.encode(log.text).subarray(0, offset)), offset };
}

/**
 * A mutable holder of a LogText, for callers that keep one log over time (tests, scripts).
 */
export class OutputLog {
  #log: LogText = emptyLogText;

  get text(): string {
    return this.#log.text;
  }

  /** Bytes held: the offset to resume from. */
  get offset(): number {
    return this.#log.offset;
  }

  /** Replaces the content with a snapshot whose `offset` is the byte length of `text`. */
  reset(text: string, offset: number): void {
    this.#log = { text, offset };
  }

  truncate(offset: number): void {
    this.#log = truncateLog(this.#log, offset);
  }

  applyDelta(endOffset: number, text: string): DeltaOutcome {
    const applied = appendDelta(this.#log, endOffset, text);
    this.#log = applied.log;
    return applied.outcome;
  }

  /**
   * Adopts a longer snapshot of the same output (e.g. after the stream missed the tail of a cancelled
   * run). Returns false when `text` does not extend what is held, which leaves the log unchanged.
   */
  extendFromSnapshot(text: string, offset: number): boolean {
    if (offset <= this.#log.offset || !text.startsWith(this.#log.text)) return false;
    this.reset(text, offset);
    return true;
  }
}

/**
 * Splits `text` at UTF-8 byte offsets (e.g. continuation seams). An offset at the very end yields an
 * empty last part (the continuation has not produced text yet); offsets beyond the text are dropped.
 */
export function splitAtByteOffsets(text: string, offsets: readonly number[]): string[] {
  if (offsets.length === 0) return [text];
  const bytes = encoder.encode(text);
  const cuts = [...new Set(offsets)]
    .filter((offset) => offset > 0 && offset <= bytes.byteLength)
    .sort((a, b) => a - b);
  const parts: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    parts.push(decoder.decode(bytes.subarray(start, cut)));
    start = cut;
  }
  parts.push(decoder.decode(bytes.subarray(start)));
  return parts;
}
