import { Bot, type NextFunction } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import {
  claimTelegramUpdate,
  type LinkedChat,
  readLinkedChat,
  releaseTelegramUpdate,
} from "../db/telegram-chats.ts";
import type { Env } from "../env.ts";
import { logInfo } from "../log.ts";
import { CHAT_TEXTS } from "../notify/telegram-chat/chat-texts.ts";
import { type BotContext, registerChatCommands } from "./chat-commands.ts";
import type { ChatSessionDeps } from "./start-from-chat.ts";
import { startSessionFromChat } from "./start-from-chat.ts";

/** The bot's own user, from the settings: no `getMe` round trip before the first update. */
export function botInfoOf(env: Env): UserFromGetMe {
  return {
    id: Number(env.TELEGRAM_BOT_TOKEN.split(":")[0]) || 1,
    is_bot: true,
    first_name: "Overtime",
    username: env.TELEGRAM_BOT_USERNAME,
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  } as UserFromGetMe;
}

/**
 * The Overtime bot: each update handled once; private chats only; `/start <token>` links; a chat
 * that is not linked gets the linking instructions and nothing else; a linked user's text starts or
 * continues a session (see `startSessionFromChat`), and the commands and buttons act on it.
 */
export function createOvertimeBot(deps: ChatSessionDeps): Bot<BotContext> {
  const { env } = deps;
  const bot = new Bot<BotContext>(env.TELEGRAM_BOT_TOKEN, {
    botInfo: botInfoOf(env),
    client: { apiRoot: env.TELEGRAM_API_ROOT },
  });
  bot.use((ctx, next) => handleOnce(deps, ctx, next));
  bot.use((ctx, next) => (ctx.chat === undefined || ctx.chat.type === "private" ? next() : undefined));
  registerChatCommands(bot, deps, { requireLinked: (ctx, next) => requireLinked(deps, ctx, next) });
  bot.on("message:text", async (ctx) => {
    const chat = ctx.linked as LinkedChat;
    if (ctx.message.entities?.some((entity) => entity.type === "bot_command" && entity.offset === 0)) {
      await ctx.reply(CHAT_TEXTS.help);
      return;
    }
    const started = await startSessionFromChat(deps, {
      chat,
      text: ctx.message.text,
      messageId: ctx.message.message_id,
      replyToMessageId: ctx.message.reply_to_message?.message_id,
    });
    if ("refusal" in started)
      await ctx.reply(started.refusal, { link_preview_options: { is_disabled: true } });
  });
  bot.on("message", (ctx) => ctx.reply(CHAT_TEXTS.textOnly));
  bot.catch((error) => {
    throw error.error;
  });
  return bot;
}

/**
 * Each update_id is handled once: Telegram redelivers an update it got no 2xx for, and a second
 * handling would start a second session. The id is claimed first; if the handling fails it is
 * released, so the redelivery is handled again. A duplicate is logged and dropped.
 */
async function handleOnce(deps: ChatSessionDeps, ctx: BotContext, next: NextFunction): Promise<void> {
  const updateId = ctx.update.update_id;
  if (!(await claimTelegramUpdate(deps.sql, updateId))) {
    logInfo("telegram update already handled; dropped", { updateId });
    return;
  }
  try {
    await next();
  } catch (error) {
    await releaseTelegramUpdate(deps.sql, updateId);
    throw error;
  }
}

/** Past this point the chat is linked: `ctx.linked` is set. Otherwise the instructions, and nothing else. */
async function requireLinked(deps: ChatSessionDeps, ctx: BotContext, next: NextFunction): Promise<void> {
  const chatId = ctx.chat?.id;
  const linked = chatId === undefined ? undefined : await readLinkedChat(deps.sql, chatId);
  if (linked) {
    ctx.linked = linked;
    await next();
    return;
  }
  const instructions = CHAT_TEXTS.notLinked(deps.env.APP_URL);
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: "This chat is not linked." });
  if (chatId !== undefined)
    await ctx.api.sendMessage(chatId, instructions, { link_preview_options: { is_disabled: true } });
}
