import type { Sql } from "./client.ts";

/**
 * The latest session of the user's chat `chatId` (the AI SDK `useChat` id of a conversation), or
 * null when the user has no such chat or it has no session yet. Scoped to the user.
 */
export async function latestChatSessionId(sql: Sql, userId: string, chatId: string): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`
    select s.id from conversations c join sessions s on s.conversation_id = c.id
    where c.user_id = ${userId} and c.chat_id = ${chatId}
    order by s.created_at desc limit 1`;
  return row?.id ?? null;
}
