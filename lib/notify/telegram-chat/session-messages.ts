import type { TelegramSessionFacts } from "../../db/telegram-sessions.ts";
import { formatElapsed } from "../../elapsed.ts";
import { isTerminal } from "../../lifecycle.ts";
import { type Block, markdownToBlocks } from "./markdown-runs.ts";
import { escapeHtml, firstPiece, splitIntoMessages } from "./split-html.ts";

/** An answer longer than this many messages comes as a `.md` document instead. */
const MAX_ANSWER_MESSAGES = 3;
/** Telegram's limit on a document's caption after entity parsing. */
const CAPTION_LIMIT = 1024;

export type InlineKeyboard = {
  inline_keyboard: ({ text: string; url: string } | { text: string; callback_data: string })[][];
};

/** The callback data of a session's Stop button. */
export const stopData = (sessionId: string) => `stop:${sessionId}`;

/** The session page (the Open button). */
export const sessionPageUrl = (appUrl: string, sessionId: string) =>
  `${appUrl.replace(/\/$/, "")}/sessions/${sessionId}`;

/**
 * The status message: "Working… · agent · 0:12 · 1,234 tokens · stage: search" with Stop and Open
 * while the session runs; how it ended (Done, Stopped, Failed, Out of credits) and Open after.
 */
export function renderStatusMessage(
  facts: TelegramSessionFacts,
  appUrl: string,
  now: Date,
): { html: string; replyMarkup: InlineKeyboard } {
  const running = !isTerminal(facts.status);
  const end = running ? now : (facts.finishedAt ?? now);
  const tokens = running
    ? (facts.progress?.outputTokens ?? 0)
    : (facts.usage?.outputTokens ?? facts.progress?.outputTokens ?? 0);
  const parts = [
    `<b>${statusLabel(facts)}</b>`,
    escapeHtml(facts.agent),
    formatElapsed(end.getTime() - facts.startedAt.getTime()),
    `${tokens.toLocaleString("en-US")} tokens`,
    ...(running && facts.progress?.stage ? [`stage: ${escapeHtml(facts.progress.stage)}`] : []),
  ];
  const open = { text: "Open", url: sessionPageUrl(appUrl, facts.sessionId) };
  return {
    html: parts.join(" · "),
    replyMarkup: {
      inline_keyboard: [
        running ? [{ text: "Stop", callback_data: stopData(facts.sessionId) }, open] : [open],
      ],
    },
  };
}

function statusLabel(facts: TelegramSessionFacts): string {
  switch (facts.status) {
    case "completed":
      return "Done";
    case "cancelled":
      return "Stopped";
    case "failed":
      return facts.error?.code.startsWith("payment_required") ? "Out of credits" : "Failed";
    default:
      return "Working…";
  }
}

/** One message of an answer, exactly as it is sent. */
export type AnswerPart =
  | { kind: "text"; html: string }
  | { kind: "document"; fileName: string; markdown: string; captionHtml: string };

/**
 * The answer: the agent's Markdown as Telegram HTML split into messages of at most 4,096
 * characters; more than three messages become one `.md` document captioned with the first
 * paragraph. A failed or cancelled session leads with one sentence saying so; its partial output follows.
 */
export function composeAnswer(facts: TelegramSessionFacts, appUrl: string): AnswerPart[] {
  const blocks = markdownToBlocks(facts.output);
  const lead = leadSentence(facts, appUrl, blocks.length > 0);
  const all: Block[] = lead ? [lead, ...blocks] : blocks;
  if (all.length === 0) all.push([{ text: "The agent finished without an answer.", tags: [{ name: "i" }] }]);
  const messages = splitIntoMessages(all);
  if (messages.length <= MAX_ANSWER_MESSAGES) return messages.map((html) => ({ kind: "text", html }));
  const leadHtml = lead ? `${splitIntoMessages([lead], CAPTION_LIMIT)[0]}\n\n` : "";
  const room = CAPTION_LIMIT - (lead ? lead.reduce((sum, run) => sum + run.text.length, 0) + 2 : 0);
  const first = blocks[0] ? firstPiece(blocks[0], Math.max(room, 1)) : { html: "", cut: false };
  return [
    {
      kind: "document",
      fileName: "answer.md",
      markdown: facts.output,
      captionHtml: `${leadHtml}${first.html}${first.cut ? "…" : ""}`.trim(),
    },
  ];
}

function leadSentence(facts: TelegramSessionFacts, appUrl: string, hasOutput: boolean): Block | undefined {
  const kept = hasOutput ? " The output so far is below." : "";
  const italic = (text: string): Block => [{ text, tags: [{ name: "i" }] }];
  if (facts.status === "cancelled") return italic(`Stopped.${kept}`);
  if (facts.status !== "failed") return undefined;
  if (facts.error?.code.startsWith("payment_required")) {
    const settings = `${appUrl.replace(/\/$/, "")}/settings`;
    return [
      { text: `Stopped: you ran out of credits.${kept} Top up in `, tags: [{ name: "i" }] },
      { text: "Settings", tags: [{ name: "i" }, { name: "a", href: settings }] },
      { text: ".", tags: [{ name: "i" }] },
    ];
  }
  const reason = facts.error?.message ? `: ${facts.error.message.replace(/\.$/, "")}.` : ".";
  return italic(`The session failed${reason}${kept}`);
}
