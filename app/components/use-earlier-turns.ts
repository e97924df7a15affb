"use client";

import { useEffect, useState } from "react";
import { fetchConversation } from "../session-stream/session-api.ts";
import type { SessionView } from "../session-stream/session-view.ts";
import { type TranscriptTurn, turnsBeforeSession } from "./transcript.tsx";

/**
 * The turns before the session a page opened, from its conversation (up to the user message that
 * started it), and the conversation's title. Sessions started later on the page add their turns.
 */
export function useEarlierTurns(initialSessionId: string | undefined, state: SessionView) {
  const [earlierTurns, setEarlierTurns] = useState<TranscriptTurn[]>([]);
  const [title, setTitle] = useState<string | null>(null);
  const openedId =
    initialSessionId !== undefined && state.sessionId === initialSessionId ? state.sessionId : null;
  const openedConversationId = openedId ? state.conversationId : null;
  const openedMessageId = openedId ? state.userMessageId : null;
  useEffect(() => {
    if (!openedId || !openedConversationId) return;
    const abort = new AbortController();
    fetchConversation(openedConversationId, abort.signal)
      .then((conversation) => {
        setTitle(conversation.title || null);
        setEarlierTurns(turnsBeforeSession(conversation, openedId, openedMessageId));
      })
      .catch((reason: unknown) => {
        if (!abort.signal.aborted)
          console.warn("Could not load the earlier turns of this conversation.", reason);
      });
    return () => abort.abort();
  }, [openedId, openedConversationId, openedMessageId]);

  /** Keeps the finished turn on the page when the next message starts a new session. */
  function keepCurrentTurn(): void {
    const { sessionId, prompt, text } = state;
    if (sessionId === null || prompt === null) return;
    setEarlierTurns((turns) => [
      ...turns,
      { key: `${sessionId}:prompt`, role: "user", content: prompt },
      { key: `${sessionId}:answer`, role: "assistant", content: text },
    ]);
  }

  return { earlierTurns, title, keepCurrentTurn };
}
