import type { Conversation } from "../session-stream/session-types.ts";
import { MarkdownText } from "./streaming-markdown.tsx";

export interface TranscriptTurn {
  key: string;
  role: "user" | "assistant";
  content: string;
}

/**
 * The turns of `conversation` before the given session: everything up to (not including) the user
 * message that started it. User messages carry no session id, so that message is found as the last
 * user message with the session's prompt before the session's own assistant message.
 */
export function turnsBeforeSession(
  conversation: Conversation,
  sessionId: string,
  prompt: string,
): TranscriptTurn[] {
  const messages = conversation.messages;
  const answerIndex = messages.findIndex((message) => message.sessionId === sessionId);
  const searchEnd = answerIndex === -1 ? messages.length : answerIndex;
  let promptIndex = -1;
  for (let index = searchEnd - 1; index >= 0; index--) {
    const message = messages[index]!;
    if (message.role === "user" && message.content === prompt) {
      promptIndex = index;
      break;
    }
  }
  const end = promptIndex === -1 ? searchEnd : promptIndex;
  return messages
    .slice(0, end)
    .map((message) => ({ key: message.id, role: message.role, content: message.content }));
}

/** Earlier turns of the conversation, finished and rendered once. */
export function Transcript({ turns }: { turns: TranscriptTurn[] }) {
  if (turns.length === 0) return null;
  return (
    <>
      {turns.map((turn) =>
        turn.role === "user" ? (
          <div key={turn.key} className="bubble user" data-testid="transcript-turn" data-role="user">
            {turn.content}
          </div>
        ) : (
          <div
            key={turn.key}
            className="bubble assistant"
            data-testid="transcript-turn"
            data-role="assistant"
          >
            <MarkdownText source={turn.content} />
          </div>
        ),
      )}
    </>
  );
}
