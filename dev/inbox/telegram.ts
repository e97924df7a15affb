import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "./http.ts";
import type { InboxStore } from "./store.ts";
import { parseTelegramHtml } from "./telegram-html.ts";

const PREFIX = "/telegram";
const MAX_TEXT = 4096;

export interface TelegramChat {
  id: number;
  username: string;
  /** The user pressed "Stop and block bot". */
  blocked: boolean;
}

/**
 * A Telegram Bot API stand-in for one bot: `getMe`, `sendMessage` (HTML entity parsing and the
 * 1–4096 character limit, known chats only, injected 429 with `retry_after`), `setWebhook`,
 * `deleteWebhook`, `getWebhookInfo`; and `deliver`, which plays a user writing to the bot by POSTing
 * the update to the registered webhook with its secret, as Telegram does.
 */
export class TelegramStandIn {
  readonly botId: number;
  readonly chats = new Map<number, TelegramChat>();
  webhook: { url: string; secretToken: string | undefined } | undefined;
  #updateId = 100_000;
  #messageId = 1;

  constructor(
    private readonly store: InboxStore,
    private readonly token: string,
    readonly username: string,
  ) {
    this.botId = Number(token.split(":")[0]) || 1;
  }

  get botUser() {
    return { id: this.botId, is_bot: true, first_name: "Overtime (local)", username: this.username };
  }

  /** A user in a private chat sends `text` to the bot; the update goes to the webhook. */
  async deliver(input: { chatId: number; username: string; text: string }): Promise<{
    updateId: number;
    status: number;
  }> {
    if (!this.webhook) throw new Error("No webhook is set: run `npm run telegram:webhook` first.");
    const chat = this.chats.get(input.chatId) ?? {
      id: input.chatId,
      username: input.username,
      blocked: false,
    };
    chat.username = input.username;
    chat.blocked = false;
    this.chats.set(chat.id, chat);
    const updateId = ++this.#updateId;
    const from = { id: input.chatId, is_bot: false, first_name: input.username, username: input.username };
    const command = /^\/[a-z_]+/i.exec(input.text)?.[0];
    const update = {
      update_id: updateId,
      message: {
        message_id: this.#messageId++,
        from,
        chat: { id: input.chatId, first_name: input.username, username: input.username, type: "private" },
        date: Math.floor(Date.now() / 1000),
        text: input.text,
        ...(command ? { entities: [{ offset: 0, length: command.length, type: "bot_command" }] } : {}),
      },
    };
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.webhook.secretToken) headers["x-telegram-bot-api-secret-token"] = this.webhook.secretToken;
    const response = await fetch(this.webhook.url, { method: "POST", headers, body: JSON.stringify(update) });
    await response.arrayBuffer();
    return { updateId, status: response.status };
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
      const params = await readParams(req, url);
      if (!params) {
        sendJson(res, 400, { ok: false, error_code: 400, description: "Bad Request: invalid JSON" });
        return true;
      }
      const answer = this.call((match[2] as string).toLowerCase(), params);
      const headers: Record<string, string> = {};
      const retryAfter = (answer.body as { parameters?: { retry_after?: number } }).parameters?.retry_after;
      if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
      sendJson(res, answer.status, answer.body, headers);
      return true;
    };
  }

  call(method: string, params: Record<string, unknown>): { status: number; body: unknown } {
    const ok = (result: unknown, description?: string) => ({
      status: 200,
      body: { ok: true, result, ...(description ? { description } : {}) },
    });
    const fail = (status: number, description: string, parameters?: Record<string, unknown>) => ({
      status,
      body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
    });
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
      case "setwebhook": {
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
      case "deletewebhook":
        this.webhook = undefined;
        return ok(true, "Webhook was deleted");
      case "getwebhookinfo":
        return ok({ url: this.webhook?.url ?? "", has_custom_certificate: false, pending_update_count: 0 });
      case "sendmessage":
        return this.sendMessage(params, ok, fail);
      default:
        return fail(404, "Not Found: method not found");
    }
  }

  private sendMessage(
    params: Record<string, unknown>,
    ok: (result: unknown) => { status: number; body: unknown },
    fail: (
      status: number,
      description: string,
      parameters?: Record<string, unknown>,
    ) => {
      status: number;
      body: unknown;
    },
  ) {
    const fault = this.store.takeFault("telegram");
    if (fault?.status === 429) {
      const retryAfter = fault.retryAfter ?? 1;
      return fail(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
    }
    if (fault?.status !== undefined) return fail(fault.status, "Internal Server Error");
    const chatId = Number(params.chat_id);
    if (params.chat_id === undefined || params.chat_id === "")
      return fail(400, "Bad Request: chat_id is empty");
    if (typeof params.text !== "string") return fail(400, "Bad Request: message text is empty");
    const chat = this.chats.get(chatId);
    if (!chat) return fail(400, "Bad Request: chat not found");
    if (chat.blocked) return fail(403, "Forbidden: bot was blocked by the user");
    let shown = params.text;
    if (params.parse_mode === "HTML") {
      const parsed = parseTelegramHtml(params.text);
      if ("error" in parsed) return fail(400, `Bad Request: can't parse entities: ${parsed.error}`);
      shown = parsed.text;
    } else if (
      params.parse_mode !== undefined &&
      params.parse_mode !== "MarkdownV2" &&
      params.parse_mode !== "Markdown"
    ) {
      return fail(400, "Bad Request: unsupported parse_mode");
    }
    if (shown.trim() === "") return fail(400, "Bad Request: message text is empty");
    if (shown.length > MAX_TEXT) return fail(400, "Bad Request: message is too long");
    const markup = params.reply_markup;
    const buttons = (markup as { inline_keyboard?: unknown })?.inline_keyboard;
    if (markup !== undefined && !Array.isArray(buttons)) {
      return fail(400, "Bad Request: can't parse reply keyboard markup JSON object");
    }
    for (const button of (buttons as { text?: unknown; url?: unknown }[][] | undefined)?.flat() ?? []) {
      if (typeof button.text !== "string" || button.text === "")
        return fail(400, "Bad Request: text buttons are unallowed in the inline keyboard");
      if (button.url !== undefined && !/^(https?|tg):\/\//.test(String(button.url))) {
        return fail(400, "Bad Request: BUTTON_URL_INVALID");
      }
    }
    const message = {
      message_id: this.#messageId++,
      from: this.botUser,
      chat: { id: chatId, first_name: chat.username, username: chat.username, type: "private" },
      date: Math.floor(Date.now() / 1000),
      text: shown,
      ...(markup !== undefined ? { reply_markup: markup } : {}),
    };
    this.store.add({
      channel: "telegram",
      to: String(chatId),
      subject: null,
      text: shown,
      html: params.parse_mode === "HTML" ? (params.text as string) : null,
      replyMarkup: markup ?? null,
      details: {
        parseMode: params.parse_mode,
        messageId: message.message_id,
        username: chat.username,
        // Telegram fetches the first URL of a message for its preview unless the bot turns that off.
        linkPreviewDisabled: linkPreviewDisabled(params),
      },
    });
    return ok(message);
  }
}

/** Whether a `sendMessage` turned off the link preview (`link_preview_options` or the older flag). */
function linkPreviewDisabled(params: Record<string, unknown>): boolean {
  const options = params.link_preview_options as { is_disabled?: unknown } | undefined;
  return options?.is_disabled === true || params.disable_web_page_preview === true;
}

/** Bot API parameters from the query string, a JSON body or a form body; undefined for bad JSON. */
async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown> | undefined> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const raw = await readBody(req);
  if (raw.trim() === "") return params;
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) {
    for (const [key, value] of new URLSearchParams(raw)) params[key] = parseMaybeJson(value);
    return params;
  }
  try {
    return { ...params, ...(JSON.parse(raw) as Record<string, unknown>) };
  } catch {
    return undefined;
  }
}

function parseMaybeJson(value: string): unknown {
  if (!/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
