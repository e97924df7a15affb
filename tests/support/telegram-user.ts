import { expect } from "vitest";
import { waitFor } from "./api.ts";
import type { TestStack } from "./stack.ts";

/** A bot message as `GET /api/messages` lists it (the contract). */
export interface BotMessage {
  channel: "telegram";
  to: string;
  text: string;
  html: string | null;
  replyMarkup: { inline_keyboard: { text: string; url?: string; callback_data?: string }[][] } | null;
  messageId: number;
  chatId: number;
  edits: number;
  replyTo: number | null;
  document: { fileName: string; bytes: number } | null;
  createdAt: string;
}

async function post(stack: TestStack, path: string, body: unknown) {
  const response = await fetch(`${stack.inbox.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * A Telegram user of the stand-in, in one private chat with the bot: writes (optionally replying),
 * presses buttons and reads the bot's messages, all through the inbox's API as a person would.
 */
export function telegramUser(stack: TestStack, chatId: number, username = `user${chatId}`) {
  return {
    chatId,
    /** Links the chat to the user of `accessToken` through the deep link, as from the settings page. */
    async link(accessToken: string): Promise<void> {
      const response = await fetch(`${stack.appUrl}/api/telegram/link`, {
        method: "POST",
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const { url } = (await response.json()) as { url: string };
      const token = new URL(url).searchParams.get("start");
      const pressed = await post(stack, "/api/telegram/start", { token, chatId, username });
      expect(pressed.body).toMatchObject({ ok: true, status: 200 });
    },
    async send(text: string, options: { replyTo?: number; updateId?: number } = {}) {
      const sent = await post(stack, "/api/telegram/message", {
        chatId,
        username,
        text,
        ...(options.replyTo !== undefined ? { replyToMessageId: options.replyTo } : {}),
        ...(options.updateId !== undefined ? { updateId: options.updateId } : {}),
      });
      expect(sent.status).toBe(200);
      return sent.body as { updateId: number; messageId: number };
    },
    async press(messageId: number, data: string) {
      const pressed = await post(stack, "/api/telegram/callback", { chatId, messageId, data });
      expect(pressed.status).toBe(200);
      return pressed.body as {
        updateId: number;
        callbackQueryId: string;
        answer: { text: string | null } | null;
      };
    },
    /** The bot's messages in this chat, oldest first. */
    async messages(): Promise<BotMessage[]> {
      const all = (await (await fetch(`${stack.inbox.url}/api/messages`)).json()) as BotMessage[];
      return all.filter((message) => message.channel === "telegram" && message.chatId === chatId).reverse();
    },
    /** Waits until `probe` finds something in the bot's messages. */
    async waitFor<T>(probe: (messages: BotMessage[]) => T | undefined, timeoutMs = 60_000): Promise<T> {
      return waitFor(async () => probe(await this.messages()), timeoutMs, 150);
    },
  };
}

export type TelegramUser = ReturnType<typeof telegramUser>;

/** The session a status message is about (its Open button's URL ends with the session id). */
export function sessionOfStatus(message: BotMessage): string {
  const open = message.replyMarkup?.inline_keyboard.flat().find((button) => button.text === "Open");
  const id = open?.url?.split("/").at(-1);
  if (!id) throw new Error(`not a status message: ${message.text}`);
  return id;
}

/** Whitespace-insensitive text: messages are split at paragraph and sentence boundaries. */
export const words = (text: string) => text.replace(/\s+/g, " ").trim();
