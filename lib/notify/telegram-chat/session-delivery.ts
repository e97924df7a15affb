import { GrammyError, HttpError, InputFile } from "grammy";
import type { Sql } from "../../db/client.ts";
import { type ClaimedNotification, keepPayload } from "../../db/notification-outbox.ts";
import { takeChatEditSlot } from "../../db/telegram-chats.ts";
import {
  readTelegramSessionFacts,
  recordAnswerProgress,
  recordBotMessage,
  type TelegramSessionFacts,
} from "../../db/telegram-sessions.ts";
import type { Env } from "../../env.ts";
import { isTerminal } from "../../lifecycle.ts";
import type { DeliveryResult } from "../delivery.ts";
import { telegramApi } from "../telegram.ts";
import { type AnswerPart, composeAnswer, renderStatusMessage } from "./session-messages.ts";

/** How often a running session's status message is edited (Telegram: about one edit per 5 s per chat). */
export const STATUS_EDIT_SECONDS = 5;

interface Deps {
  sql: Sql;
  env: Env;
}

/** The outbox rows of a session started from Telegram: its status message and its answer. */
export function isTelegramSessionMessage(notification: Pick<ClaimedNotification, "kind">): boolean {
  return notification.kind === "telegram_status" || notification.kind === "telegram_answer";
}

/**
 * One attempt at a Telegram session's outbox row. The status row sends the status message, then
 * is due again every STATUS_EDIT_SECONDS to edit it while the session runs (within the chat's edit
 * slots), and is sent for good with its final edit. The answer row sends the answer's parts in order,
 * recording each, so a retry never sends a part twice.
 */
export async function deliverTelegramSessionMessage(
  deps: Deps,
  notification: ClaimedNotification,
): Promise<DeliveryResult> {
  const facts = notification.sessionId
    ? await readTelegramSessionFacts(deps.sql, notification.sessionId)
    : undefined;
  if (!facts) return { kind: "failed", reason: "the session or its chat is gone" };
  try {
    return notification.kind === "telegram_status"
      ? await deliverStatus(deps, facts)
      : await deliverAnswer(deps, notification, facts);
  } catch (error) {
    return telegramFailure(error, notification.kind === "telegram_status");
  }
}

async function deliverStatus(deps: Deps, facts: TelegramSessionFacts): Promise<DeliveryResult> {
  const api = telegramApi(deps.env);
  const finished = isTerminal(facts.status);
  const { html, replyMarkup } = renderStatusMessage(facts, deps.env.APP_URL, new Date());
  const again: DeliveryResult = { kind: "repeat", afterSeconds: STATUS_EDIT_SECONDS };
  if (facts.statusMessageId === null) {
    const sent = await api.sendMessage(facts.chatId, html, {
      parse_mode: "HTML",
      reply_markup: replyMarkup,
      link_preview_options: { is_disabled: true },
      ...(facts.requestMessageId
        ? { reply_parameters: { message_id: facts.requestMessageId, allow_sending_without_reply: true } }
        : {}),
    });
    await recordBotMessage(deps.sql, { facts, messageId: sent.message_id, isStatus: true });
    return finished ? { kind: "sent", providerId: `${facts.chatId}:${sent.message_id}` } : again;
  }
  const wait = await takeChatEditSlot(deps.sql, facts.chatId);
  if (wait > 0) return { kind: "repeat", afterSeconds: wait };
  try {
    await api.editMessageText(facts.chatId, facts.statusMessageId, html, {
      parse_mode: "HTML",
      reply_markup: replyMarkup,
      link_preview_options: { is_disabled: true },
    });
  } catch (error) {
    // The same text again (nothing changed since the last edit) is what we wanted: success.
    if (!(error instanceof GrammyError && error.description.includes("message is not modified"))) throw error;
  }
  return finished ? { kind: "sent", providerId: `${facts.chatId}:${facts.statusMessageId}` } : again;
}

interface AnswerPayload {
  parts: AnswerPart[];
  /** How many parts were sent (and recorded) so far. */
  sent: number;
}

async function deliverAnswer(
  deps: Deps,
  notification: ClaimedNotification,
  facts: TelegramSessionFacts,
): Promise<DeliveryResult> {
  // The status message comes first; its row is about to be sent (or retried) by a sender.
  if (facts.statusPending) return { kind: "repeat", afterSeconds: 1 };
  const payload =
    (notification.payload as AnswerPayload | null) ??
    (await keepPayload<AnswerPayload>(deps.sql, notification.id, {
      parts: composeAnswer(facts, deps.env.APP_URL),
      sent: 0,
    }));
  let last = "";
  for (let index = payload.sent; index < payload.parts.length; index++) {
    const messageId = await sendAnswerPart(deps.env, facts, payload.parts[index] as AnswerPart, index === 0);
    await recordBotMessage(deps.sql, { facts, messageId, isStatus: false });
    await recordAnswerProgress(deps.sql, notification.id, index + 1);
    last = `${facts.chatId}:${messageId}`;
  }
  return { kind: "sent", providerId: last || `${facts.chatId}:answered` };
}

async function sendAnswerPart(
  env: Env,
  facts: TelegramSessionFacts,
  part: AnswerPart,
  first: boolean,
): Promise<number> {
  const api = telegramApi(env);
  const reply =
    first && facts.requestMessageId
      ? { reply_parameters: { message_id: facts.requestMessageId, allow_sending_without_reply: true } }
      : {};
  if (part.kind === "text") {
    const sent = await api.sendMessage(facts.chatId, part.html, {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      ...reply,
    });
    return sent.message_id;
  }
  const sent = await api.sendDocument(
    facts.chatId,
    new InputFile(Buffer.from(part.markdown), part.fileName),
    {
      caption: part.captionHtml,
      parse_mode: "HTML",
      ...reply,
    },
  );
  return sent.message_id;
}

/**
 * A Bot API failure as an outcome. 429 waits `retry_after`; 5xx and the network back off. A status
 * message is best effort while its session runs: it is tried again at the next edit, never given up
 * for a transient error. 403 (blocked) unlinks; any other 4xx is permanent.
 */
function telegramFailure(error: unknown, status: boolean): DeliveryResult {
  if (error instanceof GrammyError) {
    const reason = `telegram ${error.error_code}: ${error.description}`;
    if (error.error_code === 429 || error.error_code >= 500) {
      const retryAfter = error.parameters.retry_after;
      if (status) return { kind: "repeat", afterSeconds: retryAfter ?? STATUS_EDIT_SECONDS * 2, reason };
      return { kind: "retry", reason, retryAfterSeconds: retryAfter };
    }
    return { kind: "failed", reason, unlink: error.error_code === 403 };
  }
  if (error instanceof HttpError) {
    const reason = `telegram network: ${error.message}`;
    return status
      ? { kind: "repeat", afterSeconds: STATUS_EDIT_SECONDS * 2, reason }
      : { kind: "retry", reason };
  }
  throw error;
}
