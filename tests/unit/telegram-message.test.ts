import { expect, test } from "vitest";
import { parseTelegramHtml } from "../../dev/inbox/telegram-html.ts";
import type { NotificationSummary } from "../../lib/notify/summary.ts";
import { formatTelegramMessage, TELEGRAM_MAX_CHARS } from "../../lib/notify/telegram.ts";

const summary = (excerpt: string, title = "Fix <b> & co"): NotificationSummary => ({
  kind: "completed",
  subject: `Finished: ${title}`,
  headline: "Your session finished",
  title,
  facts: [["Agent", "sim <x>"]],
  problem: null,
  kept: null,
  excerpt,
  sessionUrl: "http://127.0.0.1:3000/sessions/s1",
  settingsUrl: "http://127.0.0.1:3000/settings",
});

test("dynamic text is escaped for HTML parse mode and shown exactly as written", () => {
  const message = formatTelegramMessage(summary("if a < b && c > d then <script>"));
  const parsed = parseTelegramHtml(message.text);
  expect(parsed).toEqual({ text: expect.stringContaining("if a < b && c > d then <script>") });
  expect((parsed as { text: string }).text).toContain("Fix <b> & co");
  expect(message.replyMarkup).toEqual({
    inline_keyboard: [[{ text: "Open result", url: "http://127.0.0.1:3000/sessions/s1" }]],
  });
});

test("a long excerpt full of characters that need escaping stays within 4,096 shown characters", () => {
  const message = formatTelegramMessage(summary("<&>".repeat(3000)));
  const parsed = parseTelegramHtml(message.text) as { text: string };
  expect(parsed.text.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
  expect(parsed.text.length).toBeGreaterThan(TELEGRAM_MAX_CHARS - 10);
  expect(parsed.text.endsWith("…")).toBe(true);
});

test("cutting an excerpt never splits an emoji", () => {
  // Both parities of the cut position.
  for (const excerpt of ["🧪".repeat(3000), `a${"🧪".repeat(3000)}`]) {
    const parsed = parseTelegramHtml(formatTelegramMessage(summary(excerpt)).text) as { text: string };
    expect(parsed.text.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
    expect(parsed.text.isWellFormed()).toBe(true);
  }
});
