import type { InboxMessage, InboxStore } from "./store.ts";
import { parseTelegramHtml } from "./telegram-html.ts";
import { isUploadedFile } from "./telegram-params.ts";

const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;

export type BotApiAnswer = { status: number; body: unknown };
type Params = Record<string, unknown>;

export const ok = (result: unknown, description?: string): BotApiAnswer => ({
  status: 200,
  body: { ok: true, result, ...(description ? { description } : {}) },
});
export const fail = (status: number, description: string, parameters?: Params): BotApiAnswer => ({
  status,
  body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
});

export interface TelegramChat {
  id: number;
  username: string;
  /** The user pressed "Stop and block bot". */
  blocked: boolean;
}

/** What the sending methods read and change: the inbox, the chats, the bot, the message ids. */
export interface BotState {
  store: InboxStore;
  chats: Map<number, TelegramChat>;
  botUser: { id: number; is_bot: true; first_name: string; username: string };
  nextMessageId(): number;
  /** A user's message by chat and id (what a bot message may reply to). */
  userMessage(chatId: number, messageId: number): Params | undefined;
}

/** The shown text of `raw` in `parseMode`, or the error Telegram answers. */
function shownText(raw: unknown, parseMode: unknown, max: number, what: string): string | BotApiAnswer {
  if (typeof raw !== "string") return fail(400, `Bad Request: ${what} is empty`);
  let shown = raw;
  if (parseMode === "HTML") {
    const parsed = parseTelegramHtml(raw);
    if ("error" in parsed) return fail(400, `Bad Request: can't parse entities: ${parsed.error}`);
    shown = parsed.text;
  } else if (parseMode !== undefined && parseMode !== "MarkdownV2" && parseMode !== "Markdown") {
    return fail(400, "Bad Request: unsupported parse_mode");
  }
  if (what === "message text" && shown.trim() === "") return fail(400, `Bad Request: ${what} is empty`);
  if (shown.length > max) {
    return fail(
      400,
      what === "message text" ? "Bad Request: message is too long" : `Bad Request: ${what} is too long`,
    );
  }
  return shown;
}

/** An inline keyboard Telegram would accept: buttons with text and a URL or 1–64 bytes of callback data. */
function checkMarkup(markup: unknown): BotApiAnswer | undefined {
  if (markup === undefined) return undefined;
  const rows = (markup as { inline_keyboard?: unknown })?.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    return fail(400, "Bad Request: can't parse reply keyboard markup JSON object");
  }
  for (const button of (rows as { text?: unknown; url?: unknown; callback_data?: unknown }[][]).flat()) {
    if (typeof button.text !== "string" || button.text === "")
      return fail(400, "Bad Request: text buttons are unallowed in the inline keyboard");
    if (button.url !== undefined && !/^(https?|tg):\/\//.test(String(button.url)))
      return fail(400, "Bad Request: BUTTON_URL_INVALID");
    const data = button.callback_data;
    if (data !== undefined && (typeof data !== "string" || data === "" || Buffer.byteLength(data) > 64))
      return fail(400, "Bad Request: BUTTON_DATA_INVALID");
    if ((button.url === undefined) === (data === undefined))
      return fail(400, "Bad Request: text buttons are unallowed in the inline keyboard");
  }
  return undefined;
}

/** The chat a message goes to, or why it cannot go there. */
function targetChat(state: BotState, params: Params): TelegramChat | BotApiAnswer {
  if (params.chat_id === undefined || params.chat_id === "")
    return fail(400, "Bad Request: chat_id is empty");
  const chat = state.chats.get(Number(params.chat_id));
  if (!chat) return fail(400, "Bad Request: chat not found");
  if (chat.blocked) return fail(403, "Forbidden: bot was blocked by the user");
  return chat;
}

/** `reply_parameters.message_id` (or the older `reply_to_message_id`), checked to exist in the chat. */
function replyTarget(state: BotState, chatId: number, params: Params): number | null | BotApiAnswer {
  const reply = params.reply_parameters as { message_id?: unknown; allow_sending_without_reply?: unknown };
  const id = Number(reply?.message_id ?? params.reply_to_message_id ?? Number.NaN);
  if (Number.isNaN(id)) return null;
  if (state.store.telegramMessage(chatId, id) || state.userMessage(chatId, id)) return id;
  if (reply?.allow_sending_without_reply === true) return null;
  return fail(400, "Bad Request: message to be replied not found");
}

const isAnswer = (value: unknown): value is BotApiAnswer =>
  typeof value === "object" && value !== null && "status" in value && "body" in value;

/** The Bot API `Message` for a stored bot message. */
export function telegramMessageObject(state: BotState, message: InboxMessage): Params {
  const t = message.telegram as NonNullable<InboxMessage["telegram"]>;
  const chat = state.chats.get(t.chatId);
  const replied = t.replyTo === null ? undefined : replyObject(state, t.chatId, t.replyTo);
  return {
    message_id: t.messageId,
    from: state.botUser,
    chat: { id: t.chatId, first_name: chat?.username, username: chat?.username, type: "private" },
    date: Math.floor(Date.parse(message.createdAt) / 1000),
    ...(t.document
      ? {
          document: {
            file_name: t.document.fileName,
            file_size: t.document.bytes,
            file_id: `doc${t.messageId}`,
          },
          ...(message.text ? { caption: message.text } : {}),
        }
      : { text: message.text }),
    ...(t.edits > 0 ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
    ...(message.replyMarkup ? { reply_markup: message.replyMarkup } : {}),
    ...(replied ? { reply_to_message: replied } : {}),
  };
}

function replyObject(state: BotState, chatId: number, messageId: number): Params | undefined {
  const bot = state.store.telegramMessage(chatId, messageId);
  if (bot) {
    const { reply_to_message: _nested, ...flat } = telegramMessageObject(state, bot);
    return flat;
  }
  return state.userMessage(chatId, messageId);
}

/** `sendMessage` and `sendDocument`: a new bot message in a known chat. */
export function sendNew(state: BotState, params: Params, kind: "text" | "document"): BotApiAnswer {
  const chat = targetChat(state, params);
  if (isAnswer(chat)) return chat;
  const document = kind === "document" ? params.document : undefined;
  if (kind === "document" && !isUploadedFile(document)) {
    return fail(400, "Bad Request: wrong file identifier/HTTP URL specified");
  }
  const raw = kind === "text" ? params.text : (params.caption ?? "");
  const shown = shownText(
    raw,
    params.parse_mode,
    kind === "text" ? MAX_TEXT : MAX_CAPTION,
    kind === "text" ? "message text" : "message caption",
  );
  if (isAnswer(shown)) return shown;
  const markupError = checkMarkup(params.reply_markup);
  if (markupError) return markupError;
  const replyTo = replyTarget(state, chat.id, params);
  if (isAnswer(replyTo)) return replyTo;
  const file = isUploadedFile(document) ? document : undefined;
  const stored = state.store.add({
    channel: "telegram",
    to: String(chat.id),
    subject: null,
    text: shown,
    html: params.parse_mode === "HTML" ? (raw as string) : null,
    replyMarkup: params.reply_markup ?? null,
    details: {
      parseMode: params.parse_mode,
      username: chat.username,
      // Telegram fetches the first URL of a message for its preview unless the bot turns that off.
      linkPreviewDisabled: linkPreviewDisabled(params),
    },
    telegram: {
      messageId: state.nextMessageId(),
      chatId: chat.id,
      edits: 0,
      replyTo,
      document: file ? { fileName: file.fileName, bytes: file.content.length, content: file.content } : null,
    },
  });
  return ok(telegramMessageObject(state, stored));
}

/** `editMessageText` (text and, as Telegram does, the keyboard: omitted means removed) and `editMessageReplyMarkup`. */
export function editExisting(state: BotState, params: Params, what: "text" | "markup"): BotApiAnswer {
  const chat = targetChat(state, params);
  if (isAnswer(chat)) return chat;
  const message = state.store.telegramMessage(chat.id, Number(params.message_id));
  if (!message?.telegram) return fail(400, "Bad Request: message to edit not found");
  const markupError = checkMarkup(params.reply_markup);
  if (markupError) return markupError;
  const markup = params.reply_markup ?? null;
  let text = message.text;
  let html = message.html;
  if (what === "text") {
    if (message.telegram.document) return fail(400, "Bad Request: there is no text in the message to edit");
    const shown = shownText(params.text, params.parse_mode, MAX_TEXT, "message text");
    if (isAnswer(shown)) return shown;
    text = shown;
    html = params.parse_mode === "HTML" ? (params.text as string) : null;
  }
  if (
    text === message.text &&
    html === message.html &&
    JSON.stringify(markup) === JSON.stringify(message.replyMarkup)
  ) {
    return fail(
      400,
      "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );
  }
  message.text = text;
  message.html = html;
  message.replyMarkup = markup;
  message.telegram.edits += 1;
  return ok(telegramMessageObject(state, message));
}

/** `setMyCommands`: 1–100 commands of 1–32 `[a-z0-9_]` with 1–256 character descriptions. */
export function checkCommands(commands: unknown): BotApiAnswer | { command: string; description: string }[] {
  if (!Array.isArray(commands) || commands.length > 100)
    return fail(400, "Bad Request: commands is not an array");
  for (const entry of commands as { command?: unknown; description?: unknown }[]) {
    if (typeof entry.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(entry.command))
      return fail(400, "Bad Request: BOT_COMMAND_INVALID");
    if (
      typeof entry.description !== "string" ||
      entry.description.length < 1 ||
      entry.description.length > 256
    )
      return fail(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
  }
  return (commands as { command: string; description: string }[]).map(({ command, description }) => ({
    command,
    description,
  }));
}

/** Whether a message turned off the link preview (`link_preview_options` or the older flag). */
function linkPreviewDisabled(params: Record<string, unknown>): boolean {
  const options = params.link_preview_options as { is_disabled?: unknown } | undefined;
  return options?.is_disabled === true || params.disable_web_page_preview === true;
}
