/** Tags Telegram's HTML parse mode accepts (Bot API "Formatting options"). */
const ALLOWED_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "tg-emoji",
  "code",
  "pre",
  "blockquote",
]);
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * The text a message shows once Telegram parsed its HTML entities, or the error Telegram answers
 * ("can't parse entities: …") for an unsupported or unbalanced tag. Length limits apply to this text.
 */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  let text = "";
  const open: string[] = [];
  const offset = (index: number) => Buffer.byteLength(html.slice(0, index), "utf8");
  let i = 0;
  while (i < html.length) {
    const char = html[i] as string;
    if (char === "<") {
      const tag = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>/.exec(html.slice(i));
      if (!tag) return { error: `Can't find end of the tag at byte offset ${offset(i)}` };
      const [whole, closing, rawName] = tag as unknown as [string, string, string];
      const name = rawName.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) {
        return { error: `Unsupported start tag "${name}" at byte offset ${offset(i)}` };
      }
      if (closing) {
        if (open.at(-1) !== name) {
          return {
            error: `Unmatched end tag at byte offset ${offset(i)}, expected "</${open.at(-1) ?? ""}>", found "</${name}>"`,
          };
        }
        open.pop();
      } else {
        open.push(name);
      }
      i += whole.length;
    } else if (char === "&") {
      const entity = /^&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/.exec(html.slice(i));
      const name = entity?.[1];
      if (entity && name?.startsWith("#")) {
        const code =
          name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
        text += String.fromCodePoint(code);
        i += entity[0].length;
      } else if (entity && name && NAMED_ENTITIES[name] !== undefined) {
        text += NAMED_ENTITIES[name];
        i += entity[0].length;
      } else {
        text += char;
        i += 1;
      }
    } else {
      text += char;
      i += 1;
    }
  }
  if (open.length > 0) {
    return { error: `Can't find end tag corresponding to start tag "${open.at(-1)}"` };
  }
  return { text };
}
