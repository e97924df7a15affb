"use client";

import type { UIMessage } from "ai";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { chatStopResultSchema, type RealtimeMessage } from "@/lib/session/wire.ts";
import { useAuth } from "../components/supabase-provider.tsx";
import { ApiError, fetchWire } from "./api-client.ts";
import { assistantView } from "./assistant-message.ts";
import { supabaseTopicSubscriber } from "./realtime-topic.ts";
import { fetchSessionSnapshot } from "./session-api.ts";
import { SessionChannel } from "./session-channel.ts";
import { describe } from "./session-errors.ts";
import type { ChatRequest } from "./session-types.ts";
import { noFacts, type SessionFacts, sessionView, withSessionState, withSnapshot } from "./session-view.ts";
import { usePageChat } from "./use-page-chat.ts";

export interface SessionChatHooks {
  /** The server created the session: the page URL should name it so a reload resumes it. */
  onSessionCreated(sessionId: string): void;
  onUnauthorized(): void;
}

/** The Realtime channels of the sessions this page follows, one per session. */
function useSessionChannels(onMessage: (sessionId: string, message: RealtimeMessage) => void) {
  const { supabase } = useAuth();
  const subscribe = useMemo(() => supabaseTopicSubscriber(supabase), [supabase]);
  const channels = useRef(new Map<string, SessionChannel>());
  const latest = useRef(onMessage);
  useEffect(() => {
    latest.current = onMessage;
  });
  const channelFor = useCallback(
    (sessionId: string) => {
      let channel = channels.current.get(sessionId);
      if (!channel) {
        channel = new SessionChannel(subscribe, sessionId, (message) => latest.current(sessionId, message));
        channels.current.set(sessionId, channel);
      }
      return channel;
    },
    [subscribe],
  );
  const close = useCallback((sessionId: string) => {
    channels.current.get(sessionId)?.close();
    channels.current.delete(sessionId);
  }, []);
  useEffect(() => {
    const open = channels.current;
    return () => {
      for (const channel of open.values()) channel.close();
      open.clear();
    };
  }, []);
  return { channelFor, close };
}

/**
 * The session a chat page follows, on the AI SDK's `useChat` with `OvertimeChatTransport`: the
 * transport sends, resumes by chunk index and follows a running session by catch-up reads woken by
 * its Realtime channel. What the AI SDK does not carry (the snapshot of an opened session, Realtime
 * progress, Overtime's stop endpoint) is added here. `send` starts a new session in the same view.
 */
export function useSessionChat(initialSessionId: string | undefined, hooks: SessionChatHooks) {
  const [facts, setFacts] = useState<SessionFacts>(noFacts);
  const [stopping, setStopping] = useState(false);
  const [opened, setOpened] = useState<string | null>(initialSessionId ?? null);
  const followed = useRef<string | null>(initialSessionId ?? null);
  const hooksRef = useRef(hooks);
  useEffect(() => {
    hooksRef.current = hooks;
  });
  const { channelFor, close } = useSessionChannels((sessionId, message) => {
    if (sessionId !== followed.current) return;
    if (message.type === "progress") {
      const { type: _, ...progress } = message;
      setFacts((current) => ({ ...current, progress }));
    }
  });
  const { chat, transport, following } = usePageChat(initialSessionId, channelFor, {
    onSessionState: (state) => setFacts((current) => withSessionState(current, state)),
    onProgress: (progress) => setFacts((current) => ({ ...current, progress })),
    onUnauthorized: () => hooksRef.current.onUnauthorized(),
  });

  const view = viewOf(chat, facts, opened);
  useOpenedSnapshot(opened, setFacts, hooksRef);
  useSessionTimes(view.sessionId, view.phase, setFacts);

  // The session is known: its channel carries progress and wakes the transport's catch-up reads.
  const { sessionId, phase } = view;
  useEffect(() => {
    if (sessionId === null) return;
    followed.current = sessionId;
    if (phase === "finished") close(sessionId);
    else channelFor(sessionId);
  }, [sessionId, phase, channelFor, close]);
  transport.sessionId = sessionId;
  useSessionCreated(opened, sessionId, hooksRef);

  const send = useCallback(
    (request: ChatRequest) => {
      const { message, ...body } = request;
      setFacts(noFacts);
      setStopping(false);
      setOpened(null);
      followed.current = null;
      chat.setMessages([]);
      void chat.sendMessage({ text: message }, { body });
    },
    [chat],
  );

  const stop = useStopSession(sessionId, stopping, setStopping, setFacts, hooksRef);

  return { view: { ...view, stopping: stopping && view.phase !== "finished" }, following, send, stop };
}

/** A session started here: the page's URL should name it (once). */
function useSessionCreated(
  opened: string | null,
  sessionId: string | null,
  hooks: { current: SessionChatHooks },
) {
  const created = useRef<string | null>(null);
  useEffect(() => {
    if (opened !== null || sessionId === null || created.current === sessionId) return;
    created.current = sessionId;
    hooks.current.onSessionCreated(sessionId);
  }, [opened, sessionId, hooks]);
}

/** Stop: Overtime's stop endpoint; the stream then ends by itself with `abort` + `finish`. */
function useStopSession(
  sessionId: string | null,
  stopping: boolean,
  setStopping: (stopping: boolean) => void,
  setFacts: (update: (facts: SessionFacts) => SessionFacts) => void,
  hooks: { current: SessionChatHooks },
) {
  return useCallback(async () => {
    if (sessionId === null || stopping) return;
    setStopping(true);
    try {
      await fetchWire(`/api/chat/${encodeURIComponent(sessionId)}/stop`, chatStopResultSchema, {
        method: "POST",
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return;
      if (error instanceof ApiError && error.status === 401) hooks.current.onUnauthorized();
      setStopping(false);
      setFacts((current) => ({ ...current, error: describe(error) }));
    }
  }, [sessionId, stopping, setStopping, setFacts, hooks]);
}

/** What the page shows: the AI SDK's messages and request state with the facts. */
function viewOf(
  chat: Pick<ReturnType<typeof usePageChat>["chat"], "messages" | "status" | "error">,
  facts: SessionFacts,
  opened: string | null,
) {
  const lastUser = chat.messages.findLast((message) => message.role === "user");
  const assistant = assistantView(chat.messages.findLast((message) => message.role === "assistant"));
  const prompt = lastUser ? textOf(lastUser) : null;
  const error = chat.error ? describe(chat.error) : null;
  return sessionView({ status: chat.status, error, prompt, assistant, opened }, facts);
}

function textOf(message: UIMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** An opened session's snapshot, read once: prompt, status, runner, seams, times. */
function useOpenedSnapshot(
  opened: string | null,
  setFacts: (update: (facts: SessionFacts) => SessionFacts) => void,
  hooks: { current: SessionChatHooks },
) {
  useEffect(() => {
    if (opened === null) return;
    const abort = new AbortController();
    fetchSessionSnapshot(opened, abort.signal)
      .then((snapshot) => setFacts((facts) => withSnapshot(facts, snapshot)))
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) hooks.current.onUnauthorized();
        setFacts((facts) => ({ ...facts, error: describe(error) }));
      });
    return () => abort.abort();
  }, [opened, setFacts, hooks]);
}

/** When the page first saw the session run and end (the snapshot's times win when it has them). */
function useSessionTimes(
  sessionId: string | null,
  phase: string,
  setFacts: (update: (facts: SessionFacts) => SessionFacts) => void,
) {
  useEffect(() => {
    if (sessionId === null) return;
    setFacts((facts) => (facts.startedAt === null ? { ...facts, startedAt: Date.now() } : facts));
  }, [sessionId, setFacts]);
  useEffect(() => {
    if (phase !== "finished") return;
    setFacts((facts) => (facts.finishedAt === null ? { ...facts, finishedAt: Date.now() } : facts));
  }, [phase, setFacts]);
}
