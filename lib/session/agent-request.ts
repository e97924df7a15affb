import type { AgentMessage, AgentRequest } from "../agent/index.ts";
import {
  type ConversationMessage,
  readConversationForAgent,
  recordSeenMessages,
} from "../db/agent-transcripts.ts";
import type { Sql } from "../db/client.ts";
import { readLogText } from "../db/session-log.ts";
import type { SessionRow } from "../db/sessions.ts";

/** What the agent is asked to do when a connection-bound run was cut and must go on. */
export const CONTINUATION_PROMPT =
  "Your previous answer was cut off. Continue exactly where it stopped, without repeating anything.";

/** How an answer that did not complete is marked for the agent that reads it later. */
export const CUT_ANSWER_MARKS = {
  cancelled: "[stopped by the user]",
  failed: "[interrupted]",
} as const;

/**
 * The OpenClaw session a conversation's turns share (`x-openclaw-session-key`, used verbatim by the
 * gateway): one per conversation and agent, so the gateway keeps its own memory of the tools it ran
 * and the files it read between turns.
 */
export function agentSessionKey(session: Pick<SessionRow, "agent" | "conversationId">): string {
  return `overtime:${session.agent}:conversation:${session.conversationId}`;
}

/** A message as the agent reads it: a cancelled or failed answer ends with its mark. */
function asAgentMessage(message: ConversationMessage): AgentMessage {
  const mark =
    message.role === "assistant" &&
    (message.sessionStatus === "cancelled" || message.sessionStatus === "failed")
      ? CUT_ANSWER_MARKS[message.sessionStatus]
      : undefined;
  const content = mark ? `${message.content}${message.content ? "\n\n" : ""}${mark}` : message.content;
  return { role: message.role, content };
}

/**
 * The agent request for a session: the conversation up to and including the session's user message
 * (a cut earlier answer marked, see `CUT_ANSWER_MARKS`). An agent that keeps its own session
 * (OpenClaw, by `sessionKey`) is sent from `newMessagesFrom` on: every message its session has not
 * seen (the whole conversation the first time a key is used; what other agents, the user and cut
 * runs added since, after) and always this turn's message (a restarted run sends it again). What is
 * sent is recorded as seen by the key. With `continuation`, the partial output so far is added as
 * the assistant's turn followed by a request to go on (the seam), and returned as `continuesAfter`.
 */
export async function buildAgentRequest(
  sql: Sql,
  session: SessionRow,
  options: { continuation: boolean },
): Promise<{ request: AgentRequest; continuesAfter?: string }> {
  const sessionKey = agentSessionKey(session);
  const history = await readConversationForAgent(sql, {
    sessionId: session.id,
    conversationId: session.conversationId,
    agent: session.agent,
    sessionKey,
  });
  const messages = history.map(asAgentMessage);
  // The unseen messages are a suffix: each request records everything before it as seen.
  const firstUnseen = history.findLastIndex((message) => message.seen) + 1;
  await recordSeenMessages(sql, {
    sessionKey,
    conversationId: session.conversationId,
    messageIds: history.slice(firstUnseen).map((message) => message.id),
  });
  if (options.continuation && session.durableOffset > 0) {
    const partial = await readLogText(sql, session.id);
    const newMessagesFrom = Math.min(firstUnseen, messages.length);
    messages.push({ role: "assistant", content: partial });
    messages.push({ role: "user", content: CONTINUATION_PROMPT });
    return { request: { messages, sessionKey, newMessagesFrom }, continuesAfter: partial };
  }
  const newMessagesFrom = Math.min(firstUnseen, Math.max(0, messages.length - 1));
  return { request: { messages, sessionKey, newMessagesFrom } };
}
