"use client";

import { useChat } from "@ai-sdk/react";
import { generateId, type UIMessage, UIMessageStreamError } from "ai";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { chatStopResultSchema, type RealtimeMessage } from "@/lib/session/wire.ts";
import { OvertimeChatTransport } from "@/lib/ui-stream/overtime-chat-transport.ts";
import { useAuth } from "../components/supabase-provider.tsx";
import { ApiError, fetchWire } from "./api-client.ts";
import { assistantView, progressSchema, sessionStatePartSchema } from "./assistant-message.ts";
import { meteredFetch } from "./metered-fetch.ts";
import { supabaseTopicSubscriber } from "./realtime-topic.ts";
import { fetchSessionSnapshot } from "./session-api.ts";
import { SessionChannel } from "./session-channel.ts";
import { describe } from "./session-errors.ts";
import type { ChatRequest } from "./session-types.ts";
import { noFacts, type SessionFacts, sessionView, withSessionState, withSnapshot } from "./session-view.ts";

/** Reconnects in a row the transport may fail before the page shows an error (a server restart). */
const MAX_RECONNECTS = 30;
/** Whole re-reads of a session after its stream broke before the end, before the page gives up. */
const MAX_REREADS = 3;

/**
 * `OvertimeChatTransport` whose resume names the followed session (a chat id names only a running
 * one): a page that re-reads a session from its start finds it even once it has finished.
 */
class PageChatTransport extends OvertimeChatTransport<UIMessage> {
  sessionId: string | null = null;

  override reconnectToStream(options: Parameters<OvertimeChatTransport<UIMessage>["reconnectToStream"]>[0]) {
    return super.reconnectToStream({ ...options, chatId: this.sessionId ?? options.chatId });
  }
}

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
  const [chatId] = useState(() => initialSessionId ?? generateId());
  const transport = useMemo(
    () =>
      new PageChatTransport({
        fetch: meteredFetch,
        maxReconnects: MAX_RECONNECTS,
        follow: (sessionId, onChange) => channelFor(sessionId).wait(onChange),
      }),
    [channelFor],
  );
  const chat = useChat({
    id: chatId,
    transport,
    resume: initialSessionId !== undefined,
    throttle: 50,
    onData: (part) => {
      const state = part.type === "data-session" ? sessionStatePartSchema.safeParse(part.data) : null;
      if (state?.success) setFacts((current) => withSessionState(current, state.data));
      const progress = part.type === "data-progress" ? progressSchema.safeParse(part.data) : null;
      if (progress?.success) setFacts((current) => ({ ...current, progress: progress.data }));
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 401) hooksRef.current.onUnauthorized();
    },
  });

  const lastUser = chat.messages.findLast((message) => message.role === "user");
  const assistant = assistantView(chat.messages.findLast((message) => message.role === "assistant"));
  const view = sessionView(
    {
      status: chat.status,
      error: chat.error ? describe(chat.error) : null,
      prompt: lastUser ? textOf(lastUser) : null,
      assistant,
      opened,
    },
    facts,
  );
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
  useRereadAfterBreak(chat, view);
  const createdRef = useRef<string | null>(null);
  useEffect(() => {
    if (opened !== null || sessionId === null || createdRef.current === sessionId) return;
    createdRef.current = sessionId;
    hooksRef.current.onSessionCreated(sessionId);
  }, [opened, sessionId]);

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

  const stop = useCallback(async () => {
    if (sessionId === null || stopping) return;
    setStopping(true);
    try {
      // The stream then ends by itself with `abort` + `finish`, after the runner's last bytes.
      await fetchWire(`/api/chat/${encodeURIComponent(sessionId)}/stop`, chatStopResultSchema, {
        method: "POST",
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return;
      if (error instanceof ApiError && error.status === 401) hooksRef.current.onUnauthorized();
      setStopping(false);
      setFacts((current) => ({ ...current, error: describe(error) }));
    }
  }, [sessionId, stopping]);

  return { view: { ...view, stopping: stopping && view.phase !== "finished" }, send, stop };
}

/**
 * A stream that broke before its end without a refusal (chunks that no longer fit what the tab holds,
 * e.g. after a producer died ahead of the log and another continued past a seam; or no server for
 * too long): the message is read again from its start, which the log always answers exactly.
 */
function useRereadAfterBreak(
  chat: ReturnType<typeof useChat<UIMessage>>,
  view: { sessionId: string | null },
) {
  const rereads = useRef(0);
  const handled = useRef<Error | undefined>(undefined);
  const broke =
    chat.status === "error" &&
    view.sessionId !== null &&
    isBrokenStream(chat.error) &&
    chat.messages.some((message) => message.role === "assistant");
  useEffect(() => {
    if (!broke || rereads.current >= MAX_REREADS || handled.current === chat.error) return;
    handled.current = chat.error;
    rereads.current += 1;
    console.warn("The session's stream broke before its end; reading it again from the log.", chat.error);
    chat.setMessages((messages) => messages.filter((message) => message.role !== "assistant"));
    void chat.resumeStream();
  }, [broke, chat]);
}

/**
 * Chunks that do not fit the message held, a connection that stayed down, a server error: the stream
 * broke. Not a refusal, and not the session's own `error` chunk (a plain Error with its sentence).
 */
function isBrokenStream(error: Error | undefined): boolean {
  if (error instanceof ApiError) return error.status >= 500;
  return UIMessageStreamError.isInstance(error) || error instanceof TypeError;
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
