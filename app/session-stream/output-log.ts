const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

/** What applying a delta did: grew the text, was already known, or would leave a hole. */
export type DeltaOutcome = "appended" | "duplicate" | "gap";

/**
 * The output text a tab holds, addressed by UTF-8 byte offset like the session log. Deltas carry
 * the offset after them; this accepts each byte exactly once whatever order or repetition the
 * connections (live POST, replay, reconnects) deliver them in.
 */
export class OutputLog {
  #text = "";
  #offset = 0;

  get text(): string {
    return this.#text;
  }

  /** Bytes held: the offset to resume from. */
  get offset(): number {
    return this.#offset;
  }

  /** Replaces the content with a snapshot whose `offset` is the byte length of `text`. */
  reset(text: string, offset: number): void {
    this.#text = text;
    this.#offset = offset;
  }

  /** Drops what lies past `offset` (a rewind: a newer producer replaced those bytes). */
  truncate(offset: number): void {
    if (offset >= this.#offset) return;
    this.#text = decoder.decode(encoder.encode(this.#text).subarray(0, offset));
    this.#offset = offset;
  }

  applyDelta(endOffset: number, text: string): DeltaOutcome {
    if (endOffset <= this.#offset) return "duplicate";
    const bytes = encoder.encode(text);
    const startOffset = endOffset - bytes.byteLength;
    if (startOffset > this.#offset) return "gap";
    // Invariant: offsets only ever fall on character boundaries (the server refuses others), so the
    // unseen suffix of an overlapping delta decodes to whole characters.
    const unseen =
      startOffset === this.#offset ? text : decoder.decode(bytes.subarray(this.#offset - startOffset));
    this.#text += unseen;
    this.#offset = endOffset;
    return "appended";
  }

  /**
   * Adopts a longer snapshot of the same output (e.g. after the stream missed the tail of a cancelled
   * run). Returns false when `text` does not extend what is held, which leaves the log unchanged.
   */
  extendFromSnapshot(text: string, offset: number): boolean {
    if (offset <= this.#offset || !text.startsWith(this.#text)) return false;
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
