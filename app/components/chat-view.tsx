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
import { DEFAULT_AGENT, useAgents } from "./use-agents.ts";
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

  // The turns before an opened session come from the conversation; later sessions started on this
  // page add their turns locally.
  const openedSession =
    initialSessionId !== undefined &&
    state.sessionId === initialSessionId &&
    state.conversationId &&
    state.prompt !== null
      ? { sessionId: state.sessionId, conversationId: state.conversationId, prompt: state.prompt }
      : null;
  const {
    sessionId: openedId,
    conversationId: openedConversationId,
    prompt: openedPrompt,
  } = openedSession ?? {};
  useEffect(() => {
    if (!openedId || !openedConversationId || openedPrompt === undefined) return;
    const abort = new AbortController();
    fetchConversation(openedConversationId, abort.signal)
      .then((conversation) => {
        setTitle(conversation.title || null);
        setEarlierTurns(turnsBeforeSession(conversation, openedId, openedPrompt));
      })
      .catch((reason: unknown) => {
        if (!abort.signal.aborted)
          console.warn("Could not load the earlier turns of this conversation.", reason);
      });
    return () => abort.abort();
  }, [openedId, openedConversationId, openedPrompt]);

  useStickToBottom(state.output);

  const agentNames = agents?.map((agent) => agent.name) ?? [];
  const fallbackAgent = agentNames.includes(DEFAULT_AGENT) ? DEFAULT_AGENT : (agentNames[0] ?? DEFAULT_AGENT);
  const agent = chosenAgent ?? state.agent ?? fallbackAgent;
  const running = state.phase === "starting" || state.phase === "loading" || state.phase === "running";
  const canStop =
    state.phase === "running" &&
    state.sessionId !== null &&
    (state.status === null || !isTerminal(state.status));
  const showSession = state.sessionId !== null || state.phase === "starting";

  function sendDraft() {
    const { sessionId, prompt, output, conversationId } = state;
    if (sessionId !== null && prompt !== null) {
      setEarlierTurns((turns) => [
        ...turns,
        { key: `${sessionId}:prompt`, role: "user", content: prompt },
        { key: `${sessionId}:answer`, role: "assistant", content: output },
      ]);
    }
    send({ message: draft, agent, mode, ...(conversationId ? { conversationId } : {}) });
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
            <AssistantOutput text={state.output} seams={state.seams} streaming={running} />
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
        canSend={!running}
        onSend={sendDraft}
      />
    </section>
  );
}
