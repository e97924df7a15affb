import type { AgentRequest } from "../agent/index.ts";
import type { Sql } from "../db/client.ts";
import { readLogText } from "../db/session-log.ts";
import type { SessionRow } from "../db/sessions.ts";

/** What the agent is asked to do when a connection-bound run was cut and must go on. */
export const CONTINUATION_PROMPT =
  "Your previous answer was cut off. Continue exactly where it stopped, without repeating anything.";

/**
 * The agent request for a session: the conversation up to and including the session's user message.
 * With `continuation`, the partial output so far is added as the assistant's turn followed by a
 * request to go on (the seam).
 */
export async function buildAgentRequest(
  sql: Sql,
  session: SessionRow,
  options: { continuation: boolean },
): Promise<AgentRequest> {
  const rows = await sql<{ role: "user" | "assistant"; content: string }[]>`
    select m.role, m.content from messages m
    where m.conversation_id = ${session.conversationId}
      and m.created_at <= (select u.created_at from messages u
                           join sessions s on s.user_message_id = u.id where s.id = ${session.id})
      and (m.session_id is null or m.session_id <> ${session.id})
    order by m.created_at, m.role desc`;
  const messages = rows.map((row) => ({ role: row.role, content: row.content }));
  if (options.continuation && session.durableOffset > 0) {
    messages.push({ role: "assistant", content: await readLogText(sql, session.id) });
    messages.push({ role: "user", content: CONTINUATION_PROMPT });
  }
  return { messages };
}
