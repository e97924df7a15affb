import type { TransactionSql } from "postgres";
import type { SessionStatus } from "../lifecycle.ts";
import type { SessionProgress, SessionUsage } from "../session/wire-base.ts";
import type { Sql } from "./client.ts";

/**
 * Records that a session was started from a chat and enqueues its status message (an outbox row
 * that is sent, then edited while the session runs). The chat's plain messages continue the
 * session's conversation from now on. Returns the outbox ids to dispatch.
 *
 * Race: a background session may already have finished (a fast agent) before this runs. The session
 * row is locked first, as `finishSession` locks it, so either the finish sees this row and enqueues
 * the answer itself, or this sees the finish and enqueues the answer here (and withdraws the
 * summary notification the finish enqueued for Telegram: the answer is that notification).
 */
export async function recordTelegramSession(
  sql: Sql,
  input: {
    sessionId: string;
    userId: string;
    chatId: number;
    conversationId: string;
    requestMessageId: number | null;
  },
): Promise<string[]> {
  return sql.begin(async (tx) => {
    const [session] = await tx<{ finished: boolean }[]>`
      select finished_at is not null as finished from sessions where id = ${input.sessionId} for update`;
    await tx`
      insert into telegram_sessions (session_id, user_id, chat_id, request_message_id)
      values (${input.sessionId}, ${input.userId}, ${input.chatId}, ${input.requestMessageId})`;
    await tx`
      insert into telegram_chats (chat_id, user_id, conversation_id) values (${input.chatId}, ${input.userId}, ${input.conversationId})
      on conflict (chat_id) do update set user_id = excluded.user_id, conversation_id = excluded.conversation_id, updated_at = now()`;
    const rows = await tx<{ id: string }[]>`
      insert into notifications (user_id, session_id, channel, kind)
      values (${input.userId}, ${input.sessionId}, 'telegram', 'telegram_status') returning id`;
    if (session?.finished) {
      await tx`
        delete from notifications where session_id = ${input.sessionId} and channel = 'telegram'
          and kind in ('completed', 'failed', 'out_of_credits') and status = 'pending'`;
      rows.push(...(await enqueueTelegramAnswer(tx, input.sessionId)).map((id) => ({ id })));
    }
    return rows.map((row) => row.id);
  });
}

/**
 * The answer of a session started from Telegram, enqueued inside the fenced finish (every ending:
 * completed, failed or cancelled). Nothing for other sessions. Returns the new row's id, if any.
 */
export async function enqueueTelegramAnswer(tx: Sql | TransactionSql, sessionId: string): Promise<string[]> {
  const rows = await tx<{ id: string }[]>`
    insert into notifications (user_id, session_id, channel, kind)
    select user_id, session_id, 'telegram', 'telegram_answer' from telegram_sessions where session_id = ${sessionId}
    on conflict (session_id, channel, kind) do nothing returning id`;
  return rows.map((row) => row.id);
}

/** What the status message and the answer of a Telegram session say. */
export interface TelegramSessionFacts {
  sessionId: string;
  userId: string;
  chatId: number;
  conversationId: string;
  requestMessageId: number | null;
  statusMessageId: number | null;
  /** The status message's outbox row is still to be sent (the answer waits for it). */
  statusPending: boolean;
  title: string;
  agent: string;
  status: SessionStatus;
  startedAt: Date;
  finishedAt: Date | null;
  progress: SessionProgress | null;
  usage: SessionUsage | null;
  error: { code: string; message: string } | null;
  /** The final text (the assistant message, joined from the log at the finish); "" before it. */
  output: string;
}

/** The facts for a Telegram session; undefined when it is not one (or is gone). */
export async function readTelegramSessionFacts(
  sql: Sql,
  sessionId: string,
): Promise<TelegramSessionFacts | undefined> {
  const [row] = await sql<
    {
      user_id: string;
      chat_id: string;
      conversation_id: string;
      request_message_id: string | null;
      status_message_id: string | null;
      status_pending: boolean;
      title: string;
      agent: string;
      status: SessionStatus;
      started_at: Date;
      finished_at: Date | null;
      progress: SessionProgress | null;
      usage: SessionUsage | null;
      error: { code: string; message: string } | null;
      output: string | null;
    }[]
  >`
    select t.user_id, t.chat_id, s.conversation_id, t.request_message_id, t.status_message_id,
           exists (select 1 from notifications n where n.session_id = s.id and n.kind = 'telegram_status'
                   and n.status = 'pending' and t.status_message_id is null) as status_pending,
           s.title, s.agent, s.status, coalesce(s.started_at, s.created_at) as started_at, s.finished_at,
           s.progress, s.usage, s.error, coalesce((select m.content from messages m where m.session_id = s.id), public.session_output(s.id)) as output
    from telegram_sessions t join sessions s on s.id = t.session_id
    where t.session_id = ${sessionId}`;
  if (!row) return undefined;
  return {
    sessionId,
    userId: row.user_id,
    chatId: Number(row.chat_id),
    conversationId: row.conversation_id,
    requestMessageId: row.request_message_id === null ? null : Number(row.request_message_id),
    statusMessageId: row.status_message_id === null ? null : Number(row.status_message_id),
    statusPending: row.status_pending,
    title: row.title,
    agent: row.agent,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    progress: row.progress,
    usage: row.usage,
    error: row.error,
    output: row.output ?? "",
  };
}

/**
 * Remembers a message the bot sent for a session (replying to it continues the conversation); the
 * status message is also stored on the session, so later changes edit it.
 */
export async function recordBotMessage(
  sql: Sql,
  input: { facts: TelegramSessionFacts; messageId: number; isStatus: boolean },
): Promise<void> {
  const { facts } = input;
  await sql.begin(async (tx) => {
    await tx`
      insert into telegram_messages (chat_id, message_id, user_id, conversation_id, session_id)
      values (${facts.chatId}, ${input.messageId}, ${facts.userId}, ${facts.conversationId}, ${facts.sessionId})
      on conflict (chat_id, message_id) do nothing`;
    if (input.isStatus) {
      await tx`update telegram_sessions set status_message_id = ${input.messageId} where session_id = ${facts.sessionId}`;
    }
  });
}

/** The answer's parts sent so far: a retry continues after them instead of sending them again. */
export async function recordAnswerProgress(
  sql: Sql,
  notificationId: string,
  sentParts: number,
): Promise<void> {
  await sql`
    update notifications set payload = jsonb_set(payload, '{sent}', to_jsonb(${sentParts}::int))
    where id = ${notificationId}`;
}

/** The newest session started from this chat that is still running, if any (`/stop`). */
export async function runningChatSession(
  sql: Sql,
  chatId: number,
  userId: string,
): Promise<string | undefined> {
  const [row] = await sql<{ session_id: string }[]>`
    select t.session_id from telegram_sessions t join sessions s on s.id = t.session_id
    where t.chat_id = ${chatId} and t.user_id = ${userId} and s.finished_at is null
    order by t.created_at desc limit 1`;
  return row?.session_id;
}
