import type { Sql } from "./client.ts";
import { readConversationMessages } from "./session-start.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A conversation with its messages, if `userId` owns it. */
export async function getConversationOwnedBy(sql: Sql, conversationId: string, userId: string) {
  if (!UUID.test(conversationId)) return null;
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
