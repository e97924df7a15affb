import type { Block, EntityTag, Run } from "./markdown-runs.ts";

/** Telegram's limit on a message's text after entity parsing (and 1,024 on a caption). */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** Entities a cut should not fall inside: splitting them would break a link or a bold phrase in two. */
const INLINE = new Set<EntityTag["name"]>(["b", "i", "s", "code", "a"]);
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });
const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

/**
 * Packs blocks into Telegram HTML messages of at most `limit` shown characters (UTF-16 units, as
 * Telegram counts). Blocks are joined by a blank line; a message ends between blocks when the next
 * does not fit; a block longer than `limit` is cut at the best boundary (see `cutRuns`). Every
 * message is valid HTML on its own: an entity cut in two is closed and opened again.
 */
export function splitIntoMessages(blocks: Block[], limit = TELEGRAM_TEXT_LIMIT): string[] {
  const messages: Run[][] = [];
  let current: Run[] = [];
  let length = 0;
  const flush = () => {
    if (current.length > 0) messages.push(current);
    current = [];
    length = 0;
  };
  for (const block of blocks) {
    const size = shownLength(block);
    if (current.length > 0 && length + 2 + size <= limit) {
      current.push({ text: "\n\n", tags: [] }, ...block);
      length += 2 + size;
      continue;
    }
    flush();
    let rest = block;
    while (shownLength(rest) > limit) {
      const [head, tail] = cutRuns(rest, limit);
      messages.push(head);
      rest = tail;
    }
    current = rest;
    length = shownLength(rest);
  }
  flush();
  return messages.map(renderRuns);
}

/** The first at most `limit` shown characters of a block, cut like a message, and whether it was cut. */
export function firstPiece(block: Block, limit: number): { html: string; cut: boolean } {
  if (shownLength(block) <= limit) return { html: renderRuns(block), cut: false };
  return { html: renderRuns(cutRuns(block, limit - 1)[0]), cut: true };
}

export function shownLength(runs: Run[]): number {
  let total = 0;
  for (const run of runs) total += run.text.length;
  return total;
}

/**
 * Cuts runs in two so the head has at most `limit` shown characters. Preferred, in order: a blank
 * line, a line break, a sentence end, a space, each outside inline entities and at least half way
 * into the window; then the same inside one; then the last grapheme boundary (never inside a
 * surrogate pair or an emoji sequence).
 */
export function cutRuns(runs: Run[], limit: number): [Run[], Run[]] {
  const text = runs.map((run) => run.text).join("");
  const window = text.slice(0, limit + 1);
  const inside = entityChecker(runs);
  const candidates: number[][] = [[], [], [], []];
  for (let i = 1; i < window.length && i <= limit; i++) {
    const before = window[i - 1];
    if (before === "\n" && window[i - 2] === "\n") candidates[0]?.push(i);
    else if (before === "\n") candidates[1]?.push(i);
    else if (before === " " || before === "\t") candidates[3]?.push(i);
  }
  for (const segment of sentences.segment(window)) {
    const end = segment.index + segment.segment.length;
    if (end <= limit && end < window.length) candidates[2]?.push(end);
  }
  const pick = (allowInside: boolean, minimum: number) => {
    for (const list of candidates) {
      const fitting = list.filter((at) => at >= minimum && (allowInside || !inside(at)));
      if (fitting.length > 0) return Math.max(...fitting);
    }
    return undefined;
  };
  const half = Math.floor(limit / 2);
  const cut = pick(false, half) ?? pick(true, half) ?? lastGraphemeBoundary(window, limit);
  return splitRunsAt(runs, cut);
}

function lastGraphemeBoundary(window: string, limit: number): number {
  let best = 0;
  for (const segment of graphemes.segment(window)) {
    const end = segment.index + segment.segment.length;
    if (end > limit) break;
    best = end;
  }
  // A single grapheme longer than the limit (absurd, but possible) is cut, never inside a surrogate pair.
  if (best > 0) return best;
  const code = window.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff && limit > 1 ? limit - 1 : limit;
}

/** Whether a cut at `at` (between characters at-1 and at) falls inside an inline entity. */
function entityChecker(runs: Run[]): (at: number) => boolean {
  const ends: number[] = [];
  let offset = 0;
  for (const run of runs) {
    offset += run.text.length;
    ends.push(offset);
  }
  const runAt = (index: number) => {
    let low = 0;
    let high = ends.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((ends[middle] as number) > index) high = middle;
      else low = middle + 1;
    }
    return runs[low] as Run;
  };
  return (at) => {
    const left = runAt(at - 1);
    const right = runAt(at);
    const inlineKeys = (run: Run) => run.tags.filter((tag) => INLINE.has(tag.name)).map(tagKey);
    if (left === right) return inlineKeys(left).length > 0;
    const rightKeys = new Set(inlineKeys(right));
    return inlineKeys(left).some((key) => rightKeys.has(key));
  };
}

function splitRunsAt(runs: Run[], at: number): [Run[], Run[]] {
  const head: Run[] = [];
  const tail: Run[] = [];
  let offset = 0;
  for (const run of runs) {
    const end = offset + run.text.length;
    if (end <= at) head.push(run);
    else if (offset >= at) tail.push(run);
    else {
      head.push({ text: run.text.slice(0, at - offset), tags: run.tags });
      tail.push({ text: run.text.slice(at - offset), tags: run.tags });
    }
    offset = end;
  }
  return [trimEdge(head, "end"), trimEdge(tail, "start")];
}

/** Whitespace at a cut is dropped. */
function trimEdge(runs: Run[], edge: "start" | "end"): Run[] {
  const index = edge === "start" ? 0 : runs.length - 1;
  const run = runs[index];
  if (!run) return runs;
  const pre = run.tags.some((tag) => tag.name === "pre");
  // In `pre` only the line break the cut fell on goes: the other whitespace is part of the code.
  const text = pre
    ? edge === "end"
      ? run.text.replace(/\n$/, "")
      : run.text
    : edge === "start"
      ? run.text.replace(/^\s+/, "")
      : run.text.replace(/\s+$/, "");
  const copy = [...runs];
  if (text === "") copy.splice(index, 1);
  else copy[index] = { text, tags: run.tags };
  return copy;
}

const tagKey = (tag: EntityTag) => `${tag.name}|${tag.href ?? ""}|${tag.lang ?? ""}`;

/** HTML-mode escaping: only these three (and quotes inside attributes). */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function openTag(tag: EntityTag): string {
  if (tag.name === "a") return `<a href="${escapeHtml(tag.href ?? "").replaceAll('"', "&quot;")}">`;
  if (tag.name === "code" && tag.lang)
    return `<code class="language-${escapeHtml(tag.lang).replaceAll('"', "")}">`;
  return `<${tag.name}>`;
}

/** Runs as Telegram HTML, opening and closing only the entities that change between runs. */
export function renderRuns(runs: Run[]): string {
  let html = "";
  let open: EntityTag[] = [];
  for (const run of runs) {
    let common = 0;
    while (
      common < open.length &&
      common < run.tags.length &&
      tagKey(open[common] as EntityTag) === tagKey(run.tags[common] as EntityTag)
    )
      common++;
    for (const tag of open.slice(common).reverse()) html += `</${tag.name}>`;
    for (const tag of run.tags.slice(common)) html += openTag(tag);
    open = run.tags;
    html += escapeHtml(run.text);
  }
  for (const tag of [...open].reverse()) html += `</${tag.name}>`;
  return html;
}
