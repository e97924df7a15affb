import { listAgents } from "../agent/index.ts";
import { conversationOfBotMessage, type LinkedChat } from "../db/telegram-chats.ts";
import { recordTelegramSession } from "../db/telegram-sessions.ts";
import type { Env } from "../env.ts";
import { type AppError, toAppError } from "../errors.ts";
import { logError } from "../log.ts";
import { dispatchNotifications } from "../notify/dispatch.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { startChat } from "../session/start-chat.ts";

/** The process's runtime, and how to run work after the webhook answered. */
export interface ChatSessionDeps extends Runtime {
  /** Runs work after the webhook answered (Next's `after`): the live runner, a cancel. */
  defer(work: () => Promise<void>): void;
}

/** A message of a linked chat that starts a session. */
export interface ChatMessageInput {
  chat: LinkedChat;
  text: string;
  messageId: number;
  /** The bot message it replies to: its conversation is continued. */
  replyToMessageId?: number;
}

/**
 * Starts a session from a Telegram message on the chat's agent (or the default), in the replied-to
 * answer's conversation, else the chat's current one (a new one after /new). `auto` mode: live in
 * this process after the webhook answered, background when the routing says so. The status message
 * is an outbox row dispatched at once. Returns the sentence to reply with when it could not start.
 */
export async function startSessionFromChat(
  deps: ChatSessionDeps,
  input: ChatMessageInput,
): Promise<{ sessionId: string } | { refusal: string }> {
  const { sql, env, chat } = { ...deps, chat: input.chat };
  const replied =
    input.replyToMessageId === undefined
      ? undefined
      : await conversationOfBotMessage(sql, {
          chatId: chat.chatId,
          messageId: input.replyToMessageId,
          userId: chat.userId,
        });
  const agent = chat.agent && agentExists(env, chat.agent) ? chat.agent : undefined;
  let started: Awaited<ReturnType<typeof startChat>>;
  try {
    started = await startChat({
      runtime: deps,
      user: { id: chat.userId },
      input: {
        message: input.text,
        conversationId: replied ?? chat.conversationId ?? undefined,
        agent,
        mode: "auto",
      },
    });
  } catch (error) {
    const refusal = refusalSentence(toAppError(error), env);
    if (refusal) return { refusal };
    throw error;
  }
  const outbox = await recordTelegramSession(sql, {
    sessionId: started.sessionId,
    userId: chat.userId,
    chatId: chat.chatId,
    conversationId: started.conversationId,
    requestMessageId: input.messageId,
  });
  await dispatchNotifications(sql, env, outbox).catch((error: unknown) =>
    logError("telegram status dispatch failed; the sweep sends it", { sessionId: started.sessionId, error }),
  );
  if (started.kind === "live") deps.defer(started.run);
  return { sessionId: started.sessionId };
}

/** An agent removed from AGENTS since /agent picked it is not used: the default takes over. */
function agentExists(env: Env, name: string): boolean {
  return listAgents(env).some((agent) => agent.name === name);
}

/** Out of credits and the limits, each one clear sentence with a link to the settings page. */
export function refusalSentence(error: AppError, env: Env): string | undefined {
  const settings = `${env.APP_URL.replace(/\/$/, "")}/settings`;
  switch (error.code) {
    case "payment_required:credits":
      return `You are out of credits, so nothing was started: top up in Settings (${settings}).`;
    case "rate_limit:requests":
      return `You started ${env.CHAT_REQUESTS_PER_MINUTE} sessions in the last minute, the most allowed: try again in a minute (limits: ${settings}).`;
    case "rate_limit:live_sessions":
      return `You already have ${env.MAX_LIVE_SESSIONS_PER_USER} live sessions running, the most allowed: wait for one to end or stop one (limits: ${settings}).`;
    default:
      return undefined;
  }
}
