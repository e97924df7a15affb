import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http.ts";
import type { InboxStore } from "./store.ts";
import { TelegramCounters } from "./telegram-counters.ts";
import {
  type BotApiAnswer,
  type BotState,
  checkCommands,
  editExisting,
  fail,
  ok,
  sendNew,
  type TelegramChat,
  telegramMessageObject,
} from "./telegram-methods.ts";
import { readBotApiParams } from "./telegram-params.ts";

export type { TelegramChat } from "./telegram-methods.ts";

const PREFIX = "/telegram";
/** Methods that send or change a message: the ones injected faults apply to. */
const SENDING = new Set(["sendmessage", "editmessagetext", "editmessagereplymarkup", "senddocument"]);

/** One Bot API call as the stand-in answered it (tests read when a retry came). */
export interface TelegramCall {
  method: string;
  chatId: number | null;
  /** `message_id` of an edit. */
  messageId: number | null;
  status: number;
  at: number;
}

/** A user of the stand-in writes in a private chat with the bot. */
export interface UserMessageInput {
  chatId: number;
  username?: string;
  text: string;
  replyToMessageId?: number;
  /** Reused as is (to test redelivery); otherwise the next id. */
  updateId?: number;
}

/**
 * A Telegram Bot API stand-in for one bot: `getMe`, `sendMessage`, `editMessageText`,
 * `editMessageReplyMarkup`, `sendDocument` (multipart), `answerCallbackQuery`, `setMyCommands`,
 * `getMyCommands` (HTML entity parsing and the length limits, known chats only, injected 429 with
 * `retry_after`), `setWebhook`, `deleteWebhook`, `getWebhookInfo`; and the user's side: a message
 * (optionally replying to one) or a button press is POSTed to the registered webhook with its
 * secret, as Telegram does.
 */
export class TelegramStandIn {
  readonly botId: number;
  readonly chats = new Map<number, TelegramChat>();
  readonly calls: TelegramCall[] = [];
  /** Each callback query and how the bot answered it (null until it did). */
  readonly callbackAnswers = new Map<string, { text: string | null; showAlert: boolean } | null>();
  commands: { command: string; description: string }[] = [];
  webhook: { url: string; secretToken: string | undefined } | undefined;
  readonly #counters: TelegramCounters;
  readonly #userMessages: Record<string, unknown>[] = [];
  readonly #state: BotState;

  constructor(
    private readonly store: InboxStore,
    private readonly token: string,
    readonly username: string,
    stateFile?: string,
  ) {
    this.botId = Number(token.split(":")[0]) || 1;
    this.#counters = new TelegramCounters(stateFile);
    this.#state = {
      store,
      chats: this.chats,
      botUser: this.botUser,
      nextMessageId: () => this.#counters.nextMessageId(),
      userMessage: (chatId, messageId) =>
        this.#userMessages.find(
          (message) => (message.chat as { id: number }).id === chatId && message.message_id === messageId,
        ),
    };
  }

  get botUser() {
    return { id: this.botId, is_bot: true as const, first_name: "Overtime (local)", username: this.username };
  }

  /** The user's messages in a chat, oldest first (the inbox page shows them beside the bot's). */
  userMessages(chatId: number): Record<string, unknown>[] {
    return this.#userMessages.filter((message) => (message.chat as { id: number }).id === chatId);
  }

  /** A user in a private chat sends `text` (replying to a message, maybe); the update goes to the webhook. */
  async deliver(input: UserMessageInput): Promise<{ updateId: number; messageId: number; status: number }> {
    const chat = this.#touchChat(input.chatId, input.username);
    const updateId = input.updateId ?? this.#counters.nextUpdateId();
    this.#counters.sawUpdateId(updateId);
    const from = { id: chat.id, is_bot: false, first_name: chat.username, username: chat.username };
    const command = /^\/[a-z_]+/i.exec(input.text)?.[0];
    const replied =
      input.replyToMessageId === undefined
        ? undefined
        : this.store.telegramMessage(chat.id, input.replyToMessageId);
    const message = {
      message_id: this.#counters.nextMessageId(),
      from,
      chat: { id: chat.id, first_name: chat.username, username: chat.username, type: "private" },
      date: Math.floor(Date.now() / 1000),
      text: input.text,
      ...(command ? { entities: [{ offset: 0, length: command.length, type: "bot_command" }] } : {}),
      ...(replied ? { reply_to_message: telegramMessageObject(this.#state, replied) } : {}),
    };
    this.#userMessages.push(message);
    const status = await this.#post({ update_id: updateId, message });
    return { updateId, messageId: message.message_id, status };
  }

  /** The user presses an inline button with callback data on one of the bot's messages. */
  async press(input: {
    chatId: number;
    messageId: number;
    data: string;
  }): Promise<{ updateId: number; callbackQueryId: string; status: number } | { error: string }> {
    const message = this.store.telegramMessage(input.chatId, input.messageId);
    if (!message) return { error: "No such bot message in this chat." };
    const buttons = (message.replyMarkup as { inline_keyboard?: { callback_data?: string }[][] } | null)
      ?.inline_keyboard;
    if (!buttons?.flat().some((button) => button.callback_data === input.data)) {
      return { error: "The message has no button with this callback data." };
    }
    const chat = this.#touchChat(input.chatId, undefined);
    const updateId = this.#counters.nextUpdateId();
    const callbackQueryId = randomBytes(8).readBigUInt64BE().toString();
    this.callbackAnswers.set(callbackQueryId, null);
    const status = await this.#post({
      update_id: updateId,
      callback_query: {
        id: callbackQueryId,
        from: { id: chat.id, is_bot: false, first_name: chat.username, username: chat.username },
        message: telegramMessageObject(this.#state, message),
        chat_instance: String(chat.id),
        data: input.data,
      },
    });
    return { updateId, callbackQueryId, status };
  }

  #touchChat(chatId: number, username: string | undefined): TelegramChat {
    const chat = this.chats.get(chatId) ?? {
      id: chatId,
      username: username ?? `user${chatId}`,
      blocked: false,
    };
    if (username) chat.username = username;
    chat.blocked = false;
    this.chats.set(chat.id, chat);
    return chat;
  }

  async #post(update: Record<string, unknown>): Promise<number> {
    if (!this.webhook) throw new Error("No webhook is set: run `npm run telegram:webhook` first.");
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.webhook.secretToken) headers["x-telegram-bot-api-secret-token"] = this.webhook.secretToken;
    const response = await fetch(this.webhook.url, { method: "POST", headers, body: JSON.stringify(update) });
    await response.arrayBuffer();
    return response.status;
  }

  handler() {
    return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
      const url = new URL(req.url ?? "/", "http://inbox");
      if (!url.pathname.startsWith(`${PREFIX}/`)) return false;
      const match = /^\/telegram\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!match || match[1] !== this.token) {
        sendJson(res, match ? 401 : 404, {
          ok: false,
          error_code: match ? 401 : 404,
          description: match ? "Unauthorized" : "Not Found",
        });
        return true;
      }
      const params = await readBotApiParams(req, url);
      if (!params) {
        sendJson(res, 400, { ok: false, error_code: 400, description: "Bad Request: invalid JSON" });
        return true;
      }
      const method = (match[2] as string).toLowerCase();
      const answer = this.call(method, params);
      const chatId = params.chat_id === undefined ? null : Number(params.chat_id);
      const messageId = params.message_id === undefined ? null : Number(params.message_id);
      this.calls.push({ method, chatId, messageId, status: answer.status, at: Date.now() });
      const headers: Record<string, string> = {};
      const retryAfter = (answer.body as { parameters?: { retry_after?: number } }).parameters?.retry_after;
      if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
      sendJson(res, answer.status, answer.body, headers);
      return true;
    };
  }

  /** One Bot API call (method name lower-cased). */
  call(method: string, params: Record<string, unknown>): BotApiAnswer {
    if (SENDING.has(method)) {
      const chatId = params.chat_id === undefined ? undefined : Number(params.chat_id);
      const fault = this.store.takeFault("telegram", { method, chatId });
      if (fault?.status === 429) {
        const retryAfter = fault.retryAfter ?? 1;
        return fail(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
      }
      if (fault?.status !== undefined) return fail(fault.status, "Internal Server Error");
    }
    switch (method) {
      case "getme":
        return ok({
          ...this.botUser,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
          can_connect_to_business: false,
          has_main_web_app: false,
        });
      case "setwebhook":
        return this.#setWebhook(params);
      case "deletewebhook":
        this.webhook = undefined;
        return ok(true, "Webhook was deleted");
      case "getwebhookinfo":
        return ok({ url: this.webhook?.url ?? "", has_custom_certificate: false, pending_update_count: 0 });
      case "sendmessage":
        return sendNew(this.#state, params, "text");
      case "senddocument":
        return sendNew(this.#state, params, "document");
      case "editmessagetext":
        return editExisting(this.#state, params, "text");
      case "editmessagereplymarkup":
        return editExisting(this.#state, params, "markup");
      case "answercallbackquery":
        return this.#answerCallback(params);
      case "setmycommands": {
        const commands = checkCommands(params.commands);
        if (!Array.isArray(commands)) return commands;
        this.commands = commands;
        return ok(true);
      }
      case "getmycommands":
        return ok(this.commands);
      default:
        return fail(404, "Not Found: method not found");
    }
  }

  #answerCallback(params: Record<string, unknown>): BotApiAnswer {
    const id = String(params.callback_query_id ?? "");
    if (!this.callbackAnswers.has(id) || this.callbackAnswers.get(id) !== null) {
      return fail(400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
    }
    const text = typeof params.text === "string" ? params.text : null;
    if (text !== null && text.length > 200) return fail(400, "Bad Request: MESSAGE_TOO_LONG");
    this.callbackAnswers.set(id, { text, showAlert: params.show_alert === true });
    return ok(true);
  }

  #setWebhook(params: Record<string, unknown>): BotApiAnswer {
    const target = typeof params.url === "string" ? params.url : "";
    const secret = params.secret_token;
    if (secret !== undefined && (typeof secret !== "string" || !/^[A-Za-z0-9_-]{1,256}$/.test(secret))) {
      return fail(400, "Bad Request: secret token contains unallowed characters");
    }
    if (target === "") {
      this.webhook = undefined;
      return ok(true, "Webhook was deleted");
    }
    if (!URL.canParse(target) || !/^https?:$/.test(new URL(target).protocol)) {
      return fail(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
    }
    this.webhook = { url: target, secretToken: secret as string | undefined };
    return ok(true, "Webhook was set");
  }
}
