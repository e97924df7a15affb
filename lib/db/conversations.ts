import { isUuid } from "../ids.ts";
import type { Sql } from "./client.ts";
import { readConversationMessages } from "./session-start.ts";

/** A conversation with its messages, if `userId` owns it. */
export async function getConversationOwnedBy(sql: Sql, conversationId: string, userId: string) {
  if (!isUuid(conversationId)) return null;
  const [conversation] = await sql<{ id: string; title: string; created_at: Date }[]>`
    select id, title, created_at from conversations where id = ${conversationId} and user_id = ${userId}`;
  if (!conversation) return null;
  const messages = await readConversationMessages(sql, conversationId);
  return {
    id: conversation.id,
    title: conversation.title,
    createdAt: conversation.created_at.toISOString(),
    messages: messages.map((message) => ({ ...message, createdAt: message.createdAt.toISOString() })),
  };
}
