import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseTelegramHtml } from "../../dev/inbox/telegram-html.ts";
import type { TelegramSessionFacts } from "../../lib/db/telegram-sessions.ts";
import { parseEnv } from "../../lib/env.ts";
import { AppError } from "../../lib/errors.ts";
import { markdownToBlocks } from "../../lib/notify/telegram-chat/markdown-runs.ts";
import { composeAnswer, renderStatusMessage } from "../../lib/notify/telegram-chat/session-messages.ts";
import { splitIntoMessages } from "../../lib/notify/telegram-chat/split-html.ts";
import { refusalSentence } from "../../lib/telegram/start-from-chat.ts";

const html = (markdown: string) => splitIntoMessages(markdownToBlocks(markdown));
/** What Telegram shows for a message (the stand-in parses HTML as Telegram does). */
const shown = (message: string) => {
  const parsed = parseTelegramHtml(message);
  if ("error" in parsed) throw new Error(`${parsed.error} in ${message.slice(0, 200)}`);
  return parsed.text;
};

const facts = (output: string, over: Partial<TelegramSessionFacts> = {}): TelegramSessionFacts => ({
  sessionId: "00000000-0000-4000-8000-000000000001",
  userId: "u",
  chatId: 1,
  conversationId: "c",
  requestMessageId: 10,
  statusMessageId: null,
  statusPending: false,
  title: "t",
  agent: "sim-openai",
  status: "completed",
  startedAt: new Date(0),
  finishedAt: new Date(42_000),
  progress: null,
  usage: { inputTokens: 10, outputTokens: 1234 },
  error: null,
  output,
  ...over,
});

describe("Markdown to Telegram HTML", () => {
  test("bold, italics, strikethrough, code, pre and links become Telegram's tags, the rest is escaped", () => {
    const [message] = html(
      "# Title\n\nSome **bold & <b>** and *it*, ~~gone~~, `a<b`, [link](https://x.example/?a=1&b=2).\n\n```ts\nif (a < b) {}\n```",
    );
    expect(message).toBe(
      '<b>Title</b>\n\nSome <b>bold &amp; &lt;b&gt;</b> and <i>it</i>, <s>gone</s>, <code>a&lt;b</code>, <a href="https://x.example/?a=1&amp;b=2">link</a>.\n\n<pre><code class="language-ts">if (a &lt; b) {}</code></pre>',
    );
  });

  test("images are never embedded: an image is a link named by its alt text; unsafe links are plain text", () => {
    const [message] = html("![chart](https://img.example/c.png) and [x](javascript:alert(1))");
    expect(message).toBe('<a href="https://img.example/c.png">chart</a> and x (javascript:alert(1))');
    expect(message).not.toContain("<img");
  });

  test("lists, quotes and tables read as text", () => {
    const [message] = html("- one\n- two\n  1. deep\n\n> quoted **q**\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(shown(message as string)).toBe("• one\n• two\n  1. deep\n\nquoted q\n\na | b\n1 | 2");
  });

  test("a long answer splits at paragraph boundaries into messages of at most 4,096 characters", () => {
    const paragraph = `${"Word ".repeat(300).trim()}.`;
    const messages = html(Array.from({ length: 10 }, () => paragraph).join("\n\n"));
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(shown(message).length).toBeLessThanOrEqual(4096);
      expect(shown(message).startsWith("Word")).toBe(true);
      expect(shown(message).endsWith(".")).toBe(true);
    }
  });

  test("a paragraph too long for one message is cut at a sentence end, never inside a bold phrase", () => {
    const sentence = "This is **a bold phrase that must stay whole** in its sentence. ";
    const messages = html(sentence.repeat(120));
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      const text = shown(message);
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(text.endsWith("sentence.") || message === messages.at(-1)).toBe(true);
      expect(message.match(/<b>/g)?.length).toBe(message.match(/<\/b>/g)?.length);
    }
  });

  test("a huge code block is cut at line ends and every piece is its own <pre>", () => {
    const code = Array.from({ length: 600 }, (_, i) => `line ${i} = "${"x".repeat(10)}";`).join("\n");
    const messages = html(`\`\`\`\n${code}\n\`\`\``);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(message).toMatch(/^<pre><code>[\s\S]*<\/code><\/pre>$/);
    expect(messages.map(shown).join("\n")).toBe(code);
  });

  test("property: any text survives splitting exactly; no message is over the limit, breaks an emoji or a surrogate pair", () => {
    const piece = fc.constantFrom("word ", "👩‍👩‍👧 ", "🇫🇷", "é", ". ", "\n", "\n\n", "**bold** ", "x", "𝔘");
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 4000 }),
        fc.integer({ min: 20, max: 300 }),
        (parts, limit) => {
          const markdown = parts.join("");
          const messages = splitIntoMessages(markdownToBlocks(markdown), limit);
          const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
          const graphemes = (text: string) => [...segmenter.segment(text)].map((s) => s.segment);
          for (const message of messages) {
            const text = shown(message);
            expect(text.length).toBeLessThanOrEqual(limit);
            expect(text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
            expect(graphemes(text).join("")).toBe(text);
          }
          const all = graphemes(messages.map(shown).join(""));
          const original = graphemes(
            markdownToBlocks(markdown)
              .flat()
              .map((run) => run.text)
              .join(""),
          );
          expect(all.filter((g) => g.trim() !== "")).toEqual(original.filter((g) => g.trim() !== ""));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("answers and status messages", () => {
  test("an answer of more than three messages is one .md document captioned with its first paragraph", () => {
    const output = `First paragraph of **the** answer.\n\n${"Long paragraph text. ".repeat(200)}\n\n`.repeat(
      4,
    );
    const parts = composeAnswer(facts(output), "http://app.example");
    expect(parts).toEqual([
      {
        kind: "document",
        fileName: "answer.md",
        markdown: output,
        captionHtml: "First paragraph of <b>the</b> answer.",
      },
    ]);
  });

  test("up to three messages are sent as text; a cancelled session says so in one sentence and keeps its output", () => {
    const parts = composeAnswer(facts("Partial **work**", { status: "cancelled" }), "http://app.example");
    expect(parts).toEqual([
      { kind: "text", html: "<i>Stopped. The output so far is below.</i>\n\nPartial <b>work</b>" },
    ]);
    const failed = composeAnswer(
      facts("", { status: "failed", error: { code: "payment_required:credits", message: "x" } }),
      "http://app.example",
    );
    expect(failed[0]).toEqual({
      kind: "text",
      html: '<i>Stopped: you ran out of credits. Top up in <a href="http://app.example/settings">Settings</a>.</i>',
    });
  });

  test("the status message shows state, agent, time, tokens and stage with Stop and Open while running", () => {
    const running = renderStatusMessage(
      facts("", { status: "background", progress: { stage: "search", outputTokens: 1234, elapsedMs: 0 } }),
      "http://app.example",
      new Date(12_000),
    );
    expect(running.html).toBe("<b>Working…</b> · sim-openai · 0:12 · 1,234 tokens · stage: search");
    expect(running.replyMarkup.inline_keyboard).toEqual([
      [
        { text: "Stop", callback_data: "stop:00000000-0000-4000-8000-000000000001" },
        { text: "Open", url: "http://app.example/sessions/00000000-0000-4000-8000-000000000001" },
      ],
    ]);
    const stopped = renderStatusMessage(facts("", { status: "cancelled" }), "http://app.example", new Date());
    expect(stopped.html).toBe("<b>Stopped</b> · sim-openai · 0:42 · 1,234 tokens");
    expect(stopped.replyMarkup.inline_keyboard).toEqual([
      [{ text: "Open", url: "http://app.example/sessions/00000000-0000-4000-8000-000000000001" }],
    ]);
  });
});

describe("refusals", () => {
  test("out of credits, the request rate and the live-session limit are one sentence each with the settings link", () => {
    const env = parseEnv({ APP_URL: "http://app.example" });
    for (const code of [
      "payment_required:credits",
      "rate_limit:requests",
      "rate_limit:live_sessions",
    ] as const) {
      const sentence = refusalSentence(new AppError(code, "x"), env);
      expect(sentence).toContain("http://app.example/settings");
      expect(sentence?.match(/[.!?](\s|$)/g)).toHaveLength(1);
    }
    expect(refusalSentence(new AppError("internal:x", "x"), env)).toBeUndefined();
  });
});
