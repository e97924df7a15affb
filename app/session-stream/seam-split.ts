const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Splits `text` at UTF-8 byte offsets (continuation seams, which the server names by byte offset in
 * the session log). An offset at the very end yields an empty last part (the continuation has not
 * produced text yet); offsets beyond the text are dropped.
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
