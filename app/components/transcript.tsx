import type { Conversation } from "../session-stream/session-types.ts";
import { MarkdownText } from "./streaming-markdown.tsx";

export interface TranscriptTurn {
  key: string;
  role: "user" | "assistant";
  content: string;
}

/**
 * The turns of `conversation` before the given session: everything before the user message that
 * started it (`userMessageId`, from the snapshot), or before its own answer if that message is gone.
 */
export function turnsBeforeSession(
  conversation: Conversation,
  sessionId: string,
  userMessageId: string | null,
): TranscriptTurn[] {
  const messages = conversation.messages;
  const promptIndex =
    userMessageId === null ? -1 : messages.findIndex((message) => message.id === userMessageId);
  const answerIndex = messages.findIndex((message) => message.sessionId === sessionId);
  const end = promptIndex !== -1 ? promptIndex : answerIndex !== -1 ? answerIndex : messages.length;
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
