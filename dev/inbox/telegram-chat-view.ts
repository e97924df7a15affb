import type { ServerResponse } from "node:http";
import { sendJson } from "./http.ts";
import type { InboxStore } from "./store.ts";
import type { TelegramStandIn } from "./telegram.ts";

/** One line of a chat as the inbox page shows it: the user's messages and the bot's, in order. */
export interface ChatLine {
  from: "user" | "bot";
  messageId: number;
  text: string;
  html: string | null;
  replyTo: number | null;
  replyMarkup: unknown;
  edits: number;
  document: { fileName: string; bytes: number; url: string } | null;
}

/** `GET /api/telegram/chat?chatId=N`: both sides of a private chat with the bot, oldest first. */
export function chatView(store: InboxStore, telegram: TelegramStandIn, chatId: number) {
  const lines: ChatLine[] = [];
  for (const message of telegram.userMessages(chatId)) {
    lines.push({
      from: "user",
      messageId: message.message_id as number,
      text: message.text as string,
      html: null,
      replyTo: (message.reply_to_message as { message_id?: number } | undefined)?.message_id ?? null,
      replyMarkup: null,
      edits: 0,
      document: null,
    });
  }
  for (const message of store.messages) {
    const t = message.telegram;
    if (!t || t.chatId !== chatId) continue;
    lines.push({
      from: "bot",
      messageId: t.messageId,
      text: message.text,
      html: message.html,
      replyTo: t.replyTo,
      replyMarkup: message.replyMarkup,
      edits: t.edits,
      document: t.document
        ? {
            fileName: t.document.fileName,
            bytes: t.document.bytes,
            url: `/api/telegram/documents/${chatId}/${t.messageId}`,
          }
        : null,
    });
  }
  lines.sort((a, b) => a.messageId - b.messageId);
  return { chatId, username: telegram.chats.get(chatId)?.username ?? null, messages: lines };
}

/** `GET /api/telegram/documents/<chat>/<message>`: the file a bot sent, as it was uploaded. */
export function sendDocumentFile(res: ServerResponse, store: InboxStore, pathname: string): void {
  const [, chatId, messageId] = /^\/api\/telegram\/documents\/(-?\d+)\/(\d+)$/.exec(pathname) ?? [];
  const document = store.telegramMessage(Number(chatId), Number(messageId))?.telegram?.document;
  if (!document) {
    sendJson(res, 404, { code: "not_found", message: "No such document." });
    return;
  }
  res.writeHead(200, {
    "content-type": "text/markdown; charset=utf-8",
    "content-disposition": `attachment; filename="${document.fileName.replaceAll('"', "")}"`,
  });
  res.end(document.content);
}
