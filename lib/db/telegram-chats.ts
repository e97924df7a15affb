import type { Sql } from "./client.ts";

/** How long handled update ids are remembered: Telegram redelivers for far less than this. */
const UPDATE_WINDOW = "2 days";

/**
 * Records an update id as being handled; false when it was handled before (Telegram redelivers).
 * Ids older than the window are pruned in the same statement, so the table stays bounded.
 */
export async function claimTelegramUpdate(sql: Sql, updateId: number): Promise<boolean> {
  const rows = await sql`
    with pruned as (
      delete from telegram_updates where received_at < now() - ${UPDATE_WINDOW}::interval
    )
    insert into telegram_updates (update_id) values (${updateId})
    on conflict (update_id) do nothing returning update_id`;
  return rows.length === 1;
}

/** Forgets an update whose handling failed, so Telegram's redelivery is handled again. */
export async function releaseTelegramUpdate(sql: Sql, updateId: number): Promise<void> {
  await sql`delete from telegram_updates where update_id = ${updateId}`;
}

/** A linked chat: its user, and the conversation and agent new messages use (null: new / default). */
export interface LinkedChat {
  chatId: number;
  userId: string;
  conversationId: string | null;
  agent: string | null;
}

/** The linked user of a chat and the chat's state (kept only while the same user is linked). */
export async function readLinkedChat(sql: Sql, chatId: number): Promise<LinkedChat | undefined> {
  const [row] = await sql<{ user_id: string; conversation_id: string | null; agent: string | null }[]>`
    select l.user_id, c.conversation_id, c.agent
    from telegram_links l
    left join telegram_chats c on c.chat_id = l.chat_id and c.user_id = l.user_id
    where l.chat_id = ${chatId}`;
  if (!row) return undefined;
  return { chatId, userId: row.user_id, conversationId: row.conversation_id, agent: row.agent };
}

/** Sets what a plain message continues (`null`: the next message starts a new conversation). */
export async function setChatConversation(
  sql: Sql,
  input: { chatId: number; userId: string; conversationId: string | null },
): Promise<void> {
  await sql`
    insert into telegram_chats (chat_id, user_id, conversation_id) values (${input.chatId}, ${input.userId}, ${input.conversationId})
    on conflict (chat_id) do update set user_id = excluded.user_id, conversation_id = excluded.conversation_id,
      agent = case when telegram_chats.user_id = excluded.user_id then telegram_chats.agent end, updated_at = now()`;
}

/** Sets the agent the chat's next sessions use. */
export async function setChatAgent(
  sql: Sql,
  input: { chatId: number; userId: string; agent: string },
): Promise<void> {
  await sql`
    insert into telegram_chats (chat_id, user_id, agent) values (${input.chatId}, ${input.userId}, ${input.agent})
    on conflict (chat_id) do update set user_id = excluded.user_id, agent = excluded.agent,
      conversation_id = case when telegram_chats.user_id = excluded.user_id then telegram_chats.conversation_id end,
      updated_at = now()`;
}

/** The conversation a bot message of this chat belongs to (a reply continues it), if it is the user's. */
export async function conversationOfBotMessage(
  sql: Sql,
  input: { chatId: number; messageId: number; userId: string },
): Promise<string | undefined> {
  const [row] = await sql<{ conversation_id: string }[]>`
    select conversation_id from telegram_messages
    where chat_id = ${input.chatId} and message_id = ${input.messageId} and user_id = ${input.userId}`;
  return row?.conversation_id;
}

/**
 * Takes the chat's next edit slot: at most one edit every 5 s and 20 a minute per chat, for all of
 * its status messages together. One statement, so concurrent senders never both take a slot.
 * Returns 0 when taken, else the seconds until one may be free.
 */
export async function takeChatEditSlot(sql: Sql, chatId: number): Promise<number> {
  const [taken] = await sql`
    update telegram_chats set
      last_edit_at = now(),
      minute_edits = case when minute_started_at > now() - interval '1 minute' then minute_edits + 1 else 1 end,
      minute_started_at = case when minute_started_at > now() - interval '1 minute' then minute_started_at else now() end
    where chat_id = ${chatId}
      and (last_edit_at is null or last_edit_at <= now() - interval '5 seconds')
      and not (minute_started_at > now() - interval '1 minute' and minute_edits >= 20)
    returning chat_id`;
  if (taken) return 0;
  const [wait] = await sql<{ seconds: number | null }[]>`
    select extract(epoch from greatest(
      last_edit_at + interval '5 seconds',
      case when minute_edits >= 20 then minute_started_at + interval '1 minute' end) - now())::float8 as seconds
    from telegram_chats where chat_id = ${chatId}`;
  // No row: the chat's state is gone (unlinked); the caller tries again later.
  return Math.max(0.5, wait?.seconds ?? 5);
}
