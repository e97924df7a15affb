import { marked, type Token, type Tokens } from "marked";

/** A Telegram HTML entity around a run of text. `pre` and `code` hold no other entity. */
export interface EntityTag {
  name: "b" | "i" | "s" | "code" | "pre" | "a" | "blockquote";
  href?: string;
  lang?: string;
}

/** Text shown as is, inside these entities (outermost first). */
export interface Run {
  text: string;
  tags: EntityTag[];
}

/** One top-level piece of the answer (a paragraph, a list, a code block…): a place to split between. */
export type Block = Run[];

const LINKABLE = /^(https?:\/\/|tg:\/\/)/i;

/**
 * The agent's Markdown as blocks of formatted text runs, parsed by `marked`'s lexer (CommonMark and
 * GFM). Only what Telegram's HTML mode can show survives: bold, italics, strikethrough, code, pre,
 * links and quotes; headings become bold lines, lists bullets, tables preformatted text. Images are
 * never embedded: an image is a link to it. Raw HTML is shown as text.
 */
export function markdownToBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const token of marked.lexer(markdown)) {
    const runs = blockRuns(token, []);
    if (runs.some((run) => run.text.trim() !== "")) blocks.push(trimBlock(runs));
  }
  return blocks;
}

function blockRuns(token: Token, tags: EntityTag[]): Run[] {
  switch (token.type) {
    case "paragraph":
      return inlineRuns((token as Tokens.Paragraph).tokens, tags);
    case "heading":
      return inlineRuns((token as Tokens.Heading).tokens, withTag(tags, { name: "b" }));
    case "code": {
      const code = token as Tokens.Code;
      const lang = code.lang?.trim().split(/\s+/)[0];
      return [
        {
          text: code.text,
          tags: [...outsideBlockquote(tags), { name: "pre" }, { name: "code", ...(lang ? { lang } : {}) }],
        },
      ];
    }
    case "blockquote":
      return joinBlocks((token as Tokens.Blockquote).tokens, withTag(tags, { name: "blockquote" }), "\n");
    case "list":
      return listRuns(token as Tokens.List, tags, 0);
    case "table":
      return [
        { text: tableText(token as Tokens.Table), tags: [...outsideBlockquote(tags), { name: "pre" }] },
      ];
    case "hr":
      return [{ text: "———", tags }];
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? inlineRuns(text.tokens, tags) : [{ text: decodeEntities(text.text), tags }];
    }
    case "html":
      return [{ text: (token as Tokens.HTML).text.trim(), tags }];
    case "space":
    case "def":
      return [];
    default:
      return "text" in token && typeof token.text === "string" ? [{ text: token.text, tags }] : [];
  }
}

/** Blocks inside a quote or a list item, separated by `separator`. */
function joinBlocks(tokens: Token[], tags: EntityTag[], separator: string): Run[] {
  const runs: Run[] = [];
  for (const token of tokens) {
    const inner = blockRuns(token, tags);
    if (inner.length === 0) continue;
    if (runs.length > 0) runs.push({ text: separator, tags });
    runs.push(...inner);
  }
  return runs;
}

function listRuns(list: Tokens.List, tags: EntityTag[], depth: number): Run[] {
  const runs: Run[] = [];
  const start = typeof list.start === "number" ? list.start : 1;
  list.items.forEach((item, index) => {
    if (runs.length > 0) runs.push({ text: "\n", tags });
    const bullet = list.ordered ? `${start + index}.` : item.task ? (item.checked ? "☑" : "☐") : "•";
    runs.push({ text: `${"  ".repeat(depth)}${bullet} `, tags });
    item.tokens.forEach((child, childIndex) => {
      if (child.type === "list") {
        runs.push({ text: "\n", tags }, ...listRuns(child as Tokens.List, tags, depth + 1));
      } else if (child.type !== "checkbox") {
        if (childIndex > 0 && child.type !== "text") runs.push({ text: "\n", tags });
        runs.push(...blockRuns(child, tags));
      }
    });
  });
  return runs;
}

function inlineRuns(tokens: Token[] | undefined, tags: EntityTag[]): Run[] {
  const runs: Run[] = [];
  for (const token of tokens ?? []) {
    switch (token.type) {
      case "strong":
        runs.push(...inlineRuns((token as Tokens.Strong).tokens, withTag(tags, { name: "b" })));
        break;
      case "em":
        runs.push(...inlineRuns((token as Tokens.Em).tokens, withTag(tags, { name: "i" })));
        break;
      case "del":
        runs.push(...inlineRuns((token as Tokens.Del).tokens, withTag(tags, { name: "s" })));
        break;
      case "codespan":
        runs.push({
          text: decodeEntities((token as Tokens.Codespan).text),
          tags: withTag(tags, { name: "code" }),
        });
        break;
      case "br":
        runs.push({ text: "\n", tags });
        break;
      case "link":
        runs.push(...linkRuns(token as Tokens.Link, tags));
        break;
      case "image": {
        // Never embedded: the image is a link to it, named by its alt text.
        const image = token as Tokens.Image;
        const name = image.text.trim() || "image";
        runs.push(...linkRuns({ href: image.href, tokens: undefined, text: name }, tags));
        break;
      }
      case "escape":
        runs.push({ text: (token as Tokens.Escape).text, tags });
        break;
      case "html":
        runs.push({ text: (token as Tokens.Tag).text, tags });
        break;
      default: {
        const text = token as Tokens.Text;
        if (text.tokens && text.tokens.length > 0) runs.push(...inlineRuns(text.tokens, tags));
        else if (typeof text.text === "string") runs.push({ text: decodeEntities(text.text), tags });
      }
    }
  }
  return runs;
}

function linkRuns(link: { href: string; tokens?: Token[]; text: string }, tags: EntityTag[]): Run[] {
  const inner = link.tokens ? inlineRuns(link.tokens, tags) : [{ text: link.text, tags }];
  if (!LINKABLE.test(link.href) || tags.some((tag) => tag.name === "a" || tag.name === "code")) {
    const shown = inner.map((run) => run.text).join("");
    return shown === link.href ? inner : [...inner, { text: ` (${link.href})`, tags }];
  }
  const anchor: EntityTag = { name: "a", href: link.href };
  // The link wraps its inner formatting (one <a>); code cannot hold a link, so it becomes plain text.
  return inner.map((run) => ({
    text: run.text,
    tags: [...tags, anchor, ...run.tags.slice(tags.length).filter((tag) => tag.name !== "code")],
  }));
}

function tableText(table: Tokens.Table): string {
  const cell = (value: Tokens.TableCell) => value.text.replace(/\s+/g, " ").trim();
  const rows = [table.header.map(cell), ...table.rows.map((row) => row.map(cell))];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((value, column) => value.padEnd(widths[column] ?? 0))
        .join(" | ")
        .trimEnd(),
    )
    .join("\n");
}

function withTag(tags: EntityTag[], tag: EntityTag): EntityTag[] {
  return tags.some((existing) => existing.name === tag.name) ? tags : [...tags, tag];
}

/** `pre` cannot sit inside a quote in Telegram's HTML: a code block in a quote leaves the quote. */
function outsideBlockquote(tags: EntityTag[]): EntityTag[] {
  return tags.filter((tag) => tag.name !== "blockquote");
}

function trimBlock(runs: Run[]): Block {
  const kept = runs.filter((run) => run.text !== "");
  const first = kept[0];
  const last = kept.at(-1);
  if (first && !isPre(first)) kept[0] = { ...first, text: first.text.replace(/^\s+/, "") };
  if (last && !isPre(last))
    kept[kept.length - 1] = { ...(kept.at(-1) as Run), text: (kept.at(-1) as Run).text.replace(/\s+$/, "") };
  return kept.filter((run) => run.text !== "");
}

const isPre = (run: Run) => run.tags.some((tag) => tag.name === "pre");

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Markdown text keeps character references (`&amp;`, `&#39;`): decode the common ones. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code =
        name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}
