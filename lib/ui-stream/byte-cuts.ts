/** Cutting log text at recorded byte offsets (the live path's delta ends). Browser-safe. */

/**
 * `text` (starting at byte `start` of the log) cut at the byte offsets `ends` (ascending, on character
 * boundaries): one piece per end, plus the rest after the last end when there is one. It walks the
 * UTF-16 string counting UTF-8 bytes, so no buffer is made.
 */
export function cutAtByteEnds(text: string, start: number, ends: number[]): string[] {
  const pieces: string[] = [];
  let bytes = start;
  let from = 0;
  let next = 0;
  for (let i = 0; i < text.length && next < ends.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
    while (next < ends.length && ends[next] === bytes) {
      pieces.push(text.slice(from, i + 1));
      from = i + 1;
      next += 1;
    }
    if (next < ends.length && ends[next]! < bytes)
      throw new Error(`delta end ${ends[next]} inside a character`);
  }
  while (next++ < ends.length) pieces.push("");
  if (from < text.length) pieces.push(text.slice(from));
  return pieces;
}
