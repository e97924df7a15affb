import type { AgentRequest } from "../agent/index.ts";
import type { Sql } from "../db/client.ts";
import { readLogText } from "../db/session-log.ts";
import type { SessionRow } from "../db/sessions.ts";

/** What the agent is asked to do when a connection-bound run was cut and must go on. */
export const CONTINUATION_PROMPT =
  "Your previous answer was cut off. Continue exactly where it stopped, without repeating anything.";

/**
 * The OpenClaw session a conversation's turns share (`x-openclaw-session-key`, used verbatim by the
 * gateway): one per conversation and agent, so the gateway keeps its own memory of the tools it ran
 * and the files it read between turns.
 */
export function agentSessionKey(session: Pick<SessionRow, "agent" | "conversationId">): string {
  return `overtime:${session.agent}:conversation:${session.conversationId}`;
}

/**
 * The agent request for a session: the conversation up to and including the session's user message.
 * With `continuation`, the partial output so far is added as the assistant's turn followed by a
 * request to go on (the seam), and returned as `continuesAfter`. An agent that keeps its own session
 * (OpenClaw, by `sessionKey`) has seen the messages before `newMessagesFrom` already.
 */
export async function buildAgentRequest(
  sql: Sql,
  session: SessionRow,
  options: { continuation: boolean },
): Promise<{ request: AgentRequest; continuesAfter?: string }> {
  const rows = await sql<{ role: "user" | "assistant"; content: string }[]>`
    select m.role, coalesce(m.content, public.session_output(m.session_id)) as content from messages m
    where m.conversation_id = ${session.conversationId}
      and m.created_at <= (select u.created_at from messages u
                           join sessions s on s.user_message_id = u.id where s.id = ${session.id})
      and (m.session_id is null or m.session_id <> ${session.id})
    order by m.created_at, m.role desc`;
  const messages = rows.map((row) => ({ role: row.role, content: row.content }));
  const sessionKey = agentSessionKey(session);
  if (options.continuation && session.durableOffset > 0) {
    const partial = await readLogText(sql, session.id);
    // The agent's session saw this turn's user message when the cut run started.
    const newMessagesFrom = messages.length;
    messages.push({ role: "assistant", content: partial });
    messages.push({ role: "user", content: CONTINUATION_PROMPT });
    return { request: { messages, sessionKey, newMessagesFrom }, continuesAfter: partial };
  }
  return { request: { messages, sessionKey, newMessagesFrom: Math.max(0, messages.length - 1) } };
}
