import type { Sql } from "./client.ts";

/** One earlier message of a conversation, as an agent's request carries it. */
export interface ConversationMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  /** For an assistant message: how its session ended (a cut answer is marked for the agent). */
  sessionStatus: string | null;
  /** Whether the agent session (`sessionKey`) has this message in its transcript already. */
  seen: boolean;
}

/**
 * The conversation up to and including a session's user message, each message marked with whether
 * the agent session `sessionKey` has seen it: recorded as sent to that key (`recordSeenMessages`),
 * or the completed answer of the same agent in this conversation (the gateway keeps its own
 * answers). A cancelled or failed answer is never seen by its own agent session: the gateway drops
 * an aborted run's output.
 */
export async function readConversationForAgent(
  sql: Sql,
  input: { sessionId: string; conversationId: string; agent: string; sessionKey: string },
): Promise<ConversationMessage[]> {
  const rows = await sql<
    { id: string; role: "user" | "assistant"; content: string; status: string | null; seen: boolean }[]
  >`
    select m.id, m.role, coalesce(m.content, public.session_output(m.session_id)) as content, s.status,
           exists (select 1 from agent_session_messages a
                   where a.session_key = ${input.sessionKey} and a.message_id = m.id)
           or (m.role = 'assistant' and s.agent = ${input.agent} and s.status = 'completed') as seen
    from messages m left join sessions s on s.id = m.session_id
    where m.conversation_id = ${input.conversationId}
      and m.created_at <= (select u.created_at from messages u
                           join sessions t on t.user_message_id = u.id where t.id = ${input.sessionId})
      and (m.session_id is null or m.session_id <> ${input.sessionId})
    order by m.created_at, m.role desc`;
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    content: row.content,
    sessionStatus: row.status,
    seen: row.seen,
  }));
}

/** Records that the agent session `sessionKey` has been sent these messages (idempotent). */
export async function recordSeenMessages(
  sql: Sql,
  input: { sessionKey: string; conversationId: string; messageIds: string[] },
): Promise<void> {
  if (input.messageIds.length === 0) return;
  await sql`
    insert into agent_session_messages (session_key, conversation_id, message_id)
    select ${input.sessionKey}, ${input.conversationId}, unnest(${input.messageIds}::uuid[])
    on conflict do nothing`;
}
