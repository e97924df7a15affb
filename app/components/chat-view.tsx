"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { SessionMode } from "../session-stream/session-types.ts";
import { useSessionChat } from "../session-stream/use-session-chat.ts";
import { ChatError } from "./chat-error.tsx";
import { Composer } from "./composer.tsx";
import { isRunning, SessionTurn } from "./session-turn.tsx";
import { StreamDebugPanel } from "./stream-debug-panel.tsx";
import { Transcript } from "./transcript.tsx";
import { useAgents } from "./use-agents.ts";
import { useEarlierTurns } from "./use-earlier-turns.ts";
import { useStickToBottom } from "./use-stick-to-bottom.ts";
import { useWatch } from "./use-watch.ts";

/** The session the page follows: opened from the URL, or started here (then the URL names it). */
function useFollowedSession(initialSessionId: string | undefined, onSent: () => void) {
  const router = useRouter();
  return useSessionChat(initialSessionId, {
    onSessionCreated: (sessionId) => {
      window.history.replaceState(null, "", `/sessions/${sessionId}`);
      onSent();
    },
    onUnauthorized: () => router.replace("/sign-in"),
  });
}

/**
 * A conversation: earlier turns, the session being followed (live, background or finished) and the
 * composer. On /chat it starts a new conversation; on /sessions/<id> it opens that session and
 * resumes its output from the log. A new session replaces the URL (no remount) so a reload resumes it.
 */
export function ChatView({ initialSessionId }: { initialSessionId?: string }) {
  const { agents, defaultAgent, error: agentsError } = useAgents();
  const [draft, setDraft] = useState("");
  const [chosenAgent, setChosenAgent] = useState<string | null>(null);
  const [mode, setMode] = useState<SessionMode>("auto");
  const [maxCredits, setMaxCredits] = useState("");
  const { view: state, following, send, stop } = useFollowedSession(initialSessionId, () => setDraft(""));
  const { earlierTurns, title, keepCurrentTurn } = useEarlierTurns(initialSessionId, state);
  useStickToBottom(state.text);
  // While the transport follows the session it repeats the watch itself; the page does otherwise.
  useWatch({ session: following ? null : state.sessionId });

  const agent = chosenAgent ?? state.agent ?? defaultAgent;
  const conversationId = state.conversationId;
  function sendDraft() {
    keepCurrentTurn();
    const cap = Number(maxCredits);
    send({
      message: draft,
      mode,
      ...(agent !== null ? { agent } : {}),
      ...(conversationId ? { conversationId } : {}),
      ...(mode === "background" && Number.isInteger(cap) && cap > 0 ? { maxCredits: cap } : {}),
    });
  }

  return (
    <section className="chat">
      <h1 className="chat-title">{title ?? (initialSessionId ? "Session" : "New chat")}</h1>
      <div className="transcript">
        <Transcript turns={earlierTurns} />
        {state.phase === "loading" ? <p className="muted">Loading the session…</p> : null}
        {state.prompt !== null ? (
          <div className="bubble user" data-testid="user-message">
            {state.prompt}
          </div>
        ) : null}
        {state.sessionId !== null || state.phase === "starting" ? (
          <SessionTurn view={state} onStop={() => void stop()} />
        ) : null}
        {state.error ? <ChatError code={state.error.code} message={state.error.message} /> : null}
      </div>
      <StreamDebugPanel />
      {agentsError ? <p className="muted">{agentsError}</p> : null}
      <Composer
        draft={draft}
        onDraftChange={setDraft}
        agents={agents}
        agent={agent}
        onAgentChange={setChosenAgent}
        mode={mode}
        onModeChange={setMode}
        maxCredits={maxCredits}
        onMaxCreditsChange={setMaxCredits}
        canSend={!isRunning(state)}
        onSend={sendDraft}
      />
    </section>
  );
}
