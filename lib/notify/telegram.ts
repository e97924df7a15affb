import { Api, GrammyError, HttpError } from "grammy";
import type { Env } from "../env.ts";
import type { DeliveryResult } from "./delivery.ts";
import { cutText, type NotificationSummary } from "./summary.ts";

/** Telegram's limit on a message's text after entity parsing. */
export const TELEGRAM_MAX_CHARS = 4096;

/** A Telegram message exactly as it is sent (HTML parse mode). */
export interface RenderedTelegramMessage {
  text: string;
  replyMarkup: { inline_keyboard: { text: string; url: string }[][] } | null;
}

/** HTML parse mode needs only these three escaped. */
export function escapeTelegramHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * The message: headline, title, facts, problem, what was kept and the excerpt, escaped, with an
 * "Open result" button. The excerpt is shortened so the shown text stays within 4,096 characters.
 */
export function formatTelegramMessage(summary: NotificationSummary): RenderedTelegramMessage {
  const lines = [
    `<b>${escapeTelegramHtml(summary.headline)}</b>`,
    escapeTelegramHtml(summary.title),
    "",
    ...summary.facts.map(([label, value]) => `${escapeTelegramHtml(label)}: ${escapeTelegramHtml(value)}`),
    ...(summary.problem ? ["", escapeTelegramHtml(summary.problem)] : []),
    ...(summary.kept ? [escapeTelegramHtml(summary.kept)] : []),
  ];
  const head = lines.join("\n");
  // Shown length: the markup is gone and each escape is one character again.
  const shownHead = [summary.headline, summary.title, "", ...summary.facts.map(([l, v]) => `${l}: ${v}`)]
    .concat(summary.problem ? ["", summary.problem] : [])
    .concat(summary.kept ? [summary.kept] : [])
    .join("\n");
  const room = TELEGRAM_MAX_CHARS - shownHead.length - 2;
  const excerpt = summary.excerpt.length > room ? `${cutText(summary.excerpt, room - 1)}…` : summary.excerpt;
  const text = excerpt ? `${head}\n\n<blockquote>${escapeTelegramHtml(excerpt)}</blockquote>` : head;
  return {
    text,
    replyMarkup: summary.sessionUrl
      ? { inline_keyboard: [[{ text: "Open result", url: summary.sessionUrl }]] }
      : null,
  };
}

/** The Bot API client (grammY) for TELEGRAM_BOT_TOKEN at TELEGRAM_API_ROOT. */
export function telegramApi(env: Env): Api {
  return new Api(env.TELEGRAM_BOT_TOKEN, { apiRoot: env.TELEGRAM_API_ROOT });
}

/** Sends one message. Telegram has no idempotency key: the outbox state guards against repeats. */
export async function sendTelegramMessage(
  env: Env,
  chatId: number,
  message: RenderedTelegramMessage,
): Promise<DeliveryResult> {
  try {
    const sent = await telegramApi(env).sendMessage(chatId, message.text, {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      ...(message.replyMarkup ? { reply_markup: message.replyMarkup } : {}),
    });
    return { kind: "sent", providerId: `${chatId}:${sent.message_id}` };
  } catch (error) {
    if (error instanceof GrammyError) {
      const reason = `telegram ${error.error_code}: ${error.description}`;
      if (error.error_code === 429 || error.error_code >= 500) {
        return { kind: "retry", reason, retryAfterSeconds: error.parameters.retry_after };
      }
      // 403: the user blocked the bot (or deleted the chat): unlink, do not try again.
      return { kind: "failed", reason, unlink: error.error_code === 403 };
    }
    if (error instanceof HttpError) return { kind: "retry", reason: `telegram network: ${error.message}` };
    throw error;
  }
}
