import type { Bot, Context, NextFunction } from "grammy";
import { listAgents } from "../agent/index.ts";
import { type LinkedChat, setChatAgent, setChatConversation } from "../db/telegram-chats.ts";
import { linkChatWithToken, unlinkChat } from "../db/telegram-links.ts";
import { runningChatSession } from "../db/telegram-sessions.ts";
import { toAppError } from "../errors.ts";
import { logError } from "../log.ts";
import { CHAT_TEXTS } from "../notify/telegram-chat/chat-texts.ts";
import { hashToken } from "../notify/telegram-linking.ts";
import { cancelSession } from "../session/cancel.ts";
import type { ChatSessionDeps } from "./start-from-chat.ts";

type Middleware = (ctx: BotContext, next: NextFunction) => Promise<void>;

/**
 * `/start <token>` (linking, for any chat), then for linked chats only: /help, /new, /agent (buttons),
 * /stop and the Stop button (cancel the running session), /unlink.
 */
/** A grammY context that knows the chat's linked user (set for every update after /start). */
export type BotContext = Context & { linked?: LinkedChat };

export function registerChatCommands(
  bot: Bot<BotContext>,
  deps: ChatSessionDeps,
  gates: { requireLinked: Middleware },
): void {
  const { sql } = deps;
  bot.command("start", async (ctx, next) => {
    if (!ctx.match) return next();
    const linked = await sql.begin((tx) =>
      linkChatWithToken(tx, {
        tokenHash: hashToken(ctx.match),
        chatId: ctx.chat.id,
        username: ctx.from?.username ?? null,
      }),
    );
    await ctx.reply(linked === "linked" ? CHAT_TEXTS.linked : CHAT_TEXTS.invalidLink);
  });
  bot.use(gates.requireLinked);
  bot.command(["start", "help"], (ctx) => ctx.reply(CHAT_TEXTS.help));
  registerConversationCommands(bot, deps);
  registerStopControls(bot, deps);
  bot.command("unlink", async (ctx) => {
    await unlinkChat(sql, ctx.chat.id);
    await ctx.reply(CHAT_TEXTS.unlinked);
  });
  bot.on("callback_query", (ctx) => ctx.answerCallbackQuery());
}

/** /new (the next message starts a conversation) and /agent (buttons that pick the chat's agent). */
function registerConversationCommands(bot: Bot<BotContext>, { sql, env }: ChatSessionDeps): void {
  bot.command("new", async (ctx) => {
    const chat = ctx.linked as LinkedChat;
    await setChatConversation(sql, { chatId: chat.chatId, userId: chat.userId, conversationId: null });
    await ctx.reply(CHAT_TEXTS.newConversation);
  });
  bot.command("agent", (ctx) =>
    ctx.reply(CHAT_TEXTS.pickAgent, {
      reply_markup: {
        inline_keyboard: listAgents(env).map((agent) => [
          {
            text: agent.name === (ctx.linked?.agent ?? env.DEFAULT_AGENT) ? `✓ ${agent.name}` : agent.name,
            callback_data: `agent:${agent.name}`.slice(0, 64),
          },
        ]),
      },
    }),
  );
  bot.callbackQuery(/^agent:(.+)$/, async (ctx) => {
    const chat = ctx.linked as LinkedChat;
    const name = ctx.match[1] as string;
    if (!listAgents(env).some((agent) => agent.name === name)) {
      await ctx.answerCallbackQuery({ text: CHAT_TEXTS.unknownAgent });
      return;
    }
    await setChatAgent(sql, { chatId: chat.chatId, userId: chat.userId, agent: name });
    await ctx.answerCallbackQuery({ text: CHAT_TEXTS.agentPicked(name) });
    await ctx.reply(CHAT_TEXTS.agentPicked(name));
  });
}

/** /stop and the Stop button cancel the running session (after the webhook answered). */
function registerStopControls(bot: Bot<BotContext>, deps: ChatSessionDeps): void {
  const { sql } = deps;
  bot.command("stop", async (ctx) => {
    const chat = ctx.linked as LinkedChat;
    const sessionId = await runningChatSession(sql, chat.chatId, chat.userId);
    if (!sessionId) {
      await ctx.reply(CHAT_TEXTS.nothingRunning);
      return;
    }
    // The status message and the answer say "Stopped"; the cancel itself may wait for the runner.
    deps.defer(() => stopInBackground(deps, sessionId, chat.userId));
    await ctx.reply(CHAT_TEXTS.stopping);
  });
  bot.callbackQuery(/^stop:([0-9a-f-]{36})$/, async (ctx) => {
    const chat = ctx.linked as LinkedChat;
    await ctx.answerCallbackQuery({ text: CHAT_TEXTS.stopping });
    deps.defer(() => stopInBackground(deps, ctx.match[1] as string, chat.userId));
  });
}

async function stopInBackground(deps: ChatSessionDeps, sessionId: string, userId: string): Promise<void> {
  try {
    await cancelSession({ runtime: deps, sessionId, userId });
  } catch (error) {
    const appError = toAppError(error);
    // Already finished (a race with its end), or not this user's: nothing to stop.
    if (appError.code.startsWith("conflict") || appError.code.startsWith("not_found")) return;
    logError("telegram stop failed", { sessionId, userId, error });
  }
}
