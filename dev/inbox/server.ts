import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { Env } from "../../lib/env.ts";
import { BodyError, readBody, sendJson } from "./http.ts";
import { renderInboxPage } from "./page.ts";
import { createResendHandler } from "./resend.ts";
import { type InboxMessage, InboxStore } from "./store.ts";
import { TelegramStandIn } from "./telegram.ts";
import { chatView, sendDocumentFile } from "./telegram-chat-view.ts";

export interface InboxOptions {
  /** 54324 in dev (INBOX_PORT); 0 picks a free one. */
  port: number;
  host?: string;
  /** The key the Resend stand-in accepts (RESEND_API_KEY). */
  resendApiKey: string;
  /** The one bot the Telegram stand-in serves (TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME). */
  telegramBotToken: string;
  telegramBotUsername: string;
  /** Where the Telegram stand-in keeps its update and message counters across restarts (dev). */
  telegramStateFile?: string;
}

export interface Inbox {
  /** e.g. http://127.0.0.1:54324 */
  url: string;
  /** RESEND_BASE_URL for the SDK. */
  resendBaseUrl: string;
  /** TELEGRAM_API_ROOT for grammY. */
  telegramApiRoot: string;
  store: InboxStore;
  telegram: TelegramStandIn;
  close(): Promise<void>;
}

const startBody = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  chatId: z.coerce.number().int(),
  username: z.string().min(1).max(32),
});
const textBody = z.object({
  chatId: z.coerce.number().int(),
  username: z.string().min(1),
  text: z.string().min(1),
});
const messageBody = z.object({
  chatId: z.coerce.number().int(),
  text: z.string().min(1).max(4096),
  replyToMessageId: z.coerce.number().int().optional(),
  updateId: z.coerce.number().int().positive().optional(),
  username: z.string().min(1).max(32).optional(),
});
const callbackBody = z.object({
  chatId: z.coerce.number().int(),
  messageId: z.coerce.number().int(),
  data: z.string().min(1).max(64),
});
const faultBody = z.object({
  service: z.enum(["resend", "telegram"]),
  method: z.string().min(1).optional(),
  chatId: z.number().int().optional(),
  status: z.number().int().min(400).max(599).optional(),
  retryAfter: z.number().int().min(0).optional(),
  acceptThenHang: z.boolean().optional(),
  times: z.number().int().min(1).default(1),
});

/**
 * The `GET /api/messages` shape: exactly these fields, newest first; a Telegram message also has
 * its ids, how often it was edited, what it replies to and its document (`text` is the current one).
 */
export function publicMessage(message: InboxMessage) {
  const { channel, to, subject, text, html, replyMarkup, createdAt } = message;
  const common = { channel, to, subject, text, html, replyMarkup, createdAt };
  const t = message.telegram;
  if (!t) return common;
  return {
    ...common,
    messageId: t.messageId,
    chatId: t.chatId,
    edits: t.edits,
    replyTo: t.replyTo,
    document: t.document ? { fileName: t.document.fileName, bytes: t.document.bytes } : null,
  };
}

/** What the inbox shares with the app's settings: the Resend key it accepts and the Telegram bot it plays. */
export function inboxCredentials(
  env: Pick<Env, "RESEND_API_KEY" | "TELEGRAM_BOT_TOKEN" | "TELEGRAM_BOT_USERNAME">,
): Pick<InboxOptions, "resendApiKey" | "telegramBotToken" | "telegramBotUsername"> {
  return {
    resendApiKey: env.RESEND_API_KEY,
    telegramBotToken: env.TELEGRAM_BOT_TOKEN,
    telegramBotUsername: env.TELEGRAM_BOT_USERNAME,
  };
}

/**
 * The local inbox at INBOX_PORT: the Resend stand-in under /resend, the Telegram Bot API stand-in
 * under /telegram, the inbox page at /, `GET /api/messages`, and test/dev controls:
 * `POST /api/telegram/start` (press a deep link), `POST /api/telegram/message` (write to the bot,
 * maybe replying), `POST /api/telegram/callback` (press an inline button), `GET /api/telegram/chat`
 * (one chat, both sides), `POST /api/telegram/send` (the older form of /message),
 * `POST /api/telegram/block`, `POST /api/faults` (inject 429/5xx or accept-then-hang).
 */
export async function startInbox(options: InboxOptions): Promise<Inbox> {
  const host = options.host ?? "127.0.0.1";
  const store = new InboxStore();
  const resend = createResendHandler({ store, apiKey: options.resendApiKey });
  const telegram = new TelegramStandIn(
    store,
    options.telegramBotToken,
    options.telegramBotUsername,
    options.telegramStateFile,
  );
  const telegramHandler = telegram.handler();

  async function parse<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
    let json: unknown;
    try {
      json = JSON.parse((await readBody(req)) || "{}");
    } catch {
      throw new BodyError(400, "The body is not valid JSON.");
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BodyError(400, `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
    }
    return parsed.data;
  }

  function refuseWithoutWebhook(res: ServerResponse): boolean {
    if (telegram.webhook) return false;
    sendJson(res, 409, {
      code: "no_webhook",
      message: "No webhook is registered with the Telegram stand-in: run `npm run telegram:webhook`.",
    });
    return true;
  }

  async function deliver(res: ServerResponse, input: { chatId: number; username: string; text: string }) {
    if (refuseWithoutWebhook(res)) return;
    const delivered = await telegram.deliver(input);
    sendJson(res, 200, { ok: delivered.status >= 200 && delivered.status < 300, ...delivered });
  }

  /** `POST /api/telegram/message`: `{updateId, messageId}` once the webhook took the update. */
  async function userMessage(res: ServerResponse, body: z.infer<typeof messageBody>) {
    if (refuseWithoutWebhook(res)) return;
    const { updateId, messageId, status } = await telegram.deliver(body);
    if (status >= 200 && status < 300) return sendJson(res, 200, { updateId, messageId });
    sendJson(res, 502, {
      code: "webhook_failed",
      message: `The webhook answered ${status}.`,
      updateId,
      messageId,
    });
  }

  /** `POST /api/telegram/callback`: the press, then how the bot answered the callback query. */
  async function buttonPress(res: ServerResponse, body: z.infer<typeof callbackBody>) {
    if (refuseWithoutWebhook(res)) return;
    const pressed = await telegram.press(body);
    if ("error" in pressed) return sendJson(res, 404, { code: "not_found", message: pressed.error });
    const { updateId, callbackQueryId, status } = pressed;
    const answer = telegram.callbackAnswers.get(callbackQueryId) ?? null;
    sendJson(res, status >= 200 && status < 300 ? 200 : 502, { updateId, callbackQueryId, answer });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await resend(req, res)) return;
    if (await telegramHandler(req, res)) return;
    const url = new URL(req.url ?? "/", "http://inbox");
    const is = (method: string, path: string) => req.method === method && url.pathname === path;
    if (is("GET", "/")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(renderInboxPage(store.newestFirst(), telegram.username));
    } else if (is("GET", "/api/messages")) {
      sendJson(res, 200, store.newestFirst().map(publicMessage));
    } else if (is("POST", "/api/telegram/start")) {
      const body = await parse(req, startBody);
      await deliver(res, { chatId: body.chatId, username: body.username, text: `/start ${body.token}` });
    } else if (is("POST", "/api/telegram/message")) {
      await userMessage(res, await parse(req, messageBody));
    } else if (is("POST", "/api/telegram/callback")) {
      await buttonPress(res, await parse(req, callbackBody));
    } else if (is("GET", "/api/telegram/chat")) {
      sendJson(res, 200, chatView(store, telegram, Number(url.searchParams.get("chatId"))));
    } else if (req.method === "GET" && url.pathname.startsWith("/api/telegram/documents/")) {
      sendDocumentFile(res, store, url.pathname);
    } else if (is("POST", "/api/telegram/send")) {
      await deliver(res, await parse(req, textBody));
    } else if (is("POST", "/api/telegram/block")) {
      const body = await parse(req, z.object({ chatId: z.coerce.number().int() }));
      const chat = telegram.chats.get(body.chatId);
      if (chat) chat.blocked = true;
      sendJson(res, chat ? 200 : 404, { ok: Boolean(chat) });
    } else if (is("POST", "/api/faults")) {
      store.inject(await parse(req, faultBody));
      sendJson(res, 200, { ok: true });
    } else {
      sendJson(res, 404, { code: "not_found", message: `Nothing at ${url.pathname}` });
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof BodyError)
        return sendJson(res, error.status, { code: "bad_request", message: error.message });
      console.error("inbox: request failed", { path: req.url, error });
      sendJson(res, 500, { code: "internal", message: "internal error" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    resendBaseUrl: `${url}/resend`,
    telegramApiRoot: `${url}/telegram`,
    store,
    telegram,
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
