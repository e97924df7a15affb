"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { fetchConversation } from "../session-stream/session-api.ts";
import { isTerminal, type SessionMode } from "../session-stream/session-types.ts";
import { useSessionRun } from "../session-stream/use-session-run.ts";
import { AssistantOutput } from "./assistant-output.tsx";
import { ChatError } from "./chat-error.tsx";
import { Composer } from "./composer.tsx";
import { SessionStatusBar } from "./session-status-bar.tsx";
import { StreamDebugPanel } from "./stream-debug-panel.tsx";
import { Transcript, type TranscriptTurn, turnsBeforeSession } from "./transcript.tsx";
import { UsageFooter } from "./usage-footer.tsx";
import { useAgents } from "./use-agents.ts";
import { useStickToBottom } from "./use-stick-to-bottom.ts";

/**
 * A conversation: earlier turns, the session being followed (live, background or finished) and the
 * composer. On /chat it starts a new conversation; on /sessions/<id> it opens that session and
 * resumes its output from the log. A new session replaces the URL (no remount) so a reload resumes it.
 */
export function ChatView({ initialSessionId }: { initialSessionId?: string }) {
  const router = useRouter();
  const { agents, error: agentsError } = useAgents();
  const [draft, setDraft] = useState("");
  const [chosenAgent, setChosenAgent] = useState<string | null>(null);
  const [mode, setMode] = useState<SessionMode>("auto");
  const [maxCredits, setMaxCredits] = useState("");
  const [earlierTurns, setEarlierTurns] = useState<TranscriptTurn[]>([]);
  const [title, setTitle] = useState<string | null>(null);

  const { state, send, open, stop } = useSessionRun({
    onSessionCreated: (sessionId) => {
      window.history.replaceState(null, "", `/sessions/${sessionId}`);
      setDraft("");
    },
    onUnauthorized: () => router.replace("/sign-in"),
  });

  useEffect(() => {
    if (initialSessionId) open(initialSessionId);
  }, [initialSessionId, open]);

  // The turns before an opened session come from the conversation (up to the user message that
  // started it); later sessions started on this page add their turns locally.
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

  useStickToBottom(state.log.text);

  const output = state.log.text;
  // The server marks its default agent; until the list loads (or if it cannot), the server chooses.
  const defaultAgent = agents?.find((option) => option.default)?.name ?? agents?.[0]?.name ?? null;
  const agent = chosenAgent ?? state.agent ?? defaultAgent;
  const running = state.phase === "starting" || state.phase === "loading" || state.phase === "running";
  const canStop =
    state.phase === "running" &&
    state.sessionId !== null &&
    (state.status === null || !isTerminal(state.status));
  const showSession = state.sessionId !== null || state.phase === "starting";

  function sendDraft() {
    const { sessionId, prompt, conversationId } = state;
    if (sessionId !== null && prompt !== null) {
      setEarlierTurns((turns) => [
        ...turns,
        { key: `${sessionId}:prompt`, role: "user", content: prompt },
        { key: `${sessionId}:answer`, role: "assistant", content: output },
      ]);
    }
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
        {showSession ? (
          <div className="turn">
            <SessionStatusBar
              status={state.status}
              runner={state.runner}
              progress={state.progress}
              costUsd={state.costUsd}
              seams={state.seams}
              startedAt={state.startedAt}
              finishedAt={state.finishedAt}
              running={running}
              canStop={canStop}
              stopping={state.stopping}
              onStop={stop}
            />
            <AssistantOutput text={output} seams={state.seams} streaming={running} />
            {state.phase === "finished" && state.usage ? (
              <UsageFooter usage={state.usage} costUsd={state.costUsd} />
            ) : null}
          </div>
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
        canSend={!running}
        onSend={sendDraft}
      />
    </section>
  );
}
