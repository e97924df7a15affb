"use client";

import { useChat } from "@ai-sdk/react";
import { type ChatStatus, generateId, type UIMessage, UIMessageStreamError } from "ai";
import { useEffect, useMemo, useRef, useState } from "react";
import type { SessionProgress } from "@/lib/session/wire.ts";
import { OvertimeChatTransport } from "@/lib/ui-stream/overtime-chat-transport.ts";
import { ApiError } from "./api-client.ts";
import { progressSchema, type SessionStatePart, sessionStatePartSchema } from "./assistant-message.ts";
import { meteredFetch } from "./metered-fetch.ts";
import type { SessionChannel } from "./session-channel.ts";

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

export interface PageChatHandlers {
  onSessionState(state: SessionStatePart): void;
  onProgress(progress: SessionProgress): void;
  onUnauthorized(): void;
}

/**
 * `useChat` on `OvertimeChatTransport` for one chat page: a session opened by URL is resumed at
 * mount (its id is the chat id, which the stream endpoint also takes); `data-session` and
 * `data-progress` parts go to `handlers`. A read is let go when the page goes.
 */
export function usePageChat(
  initialSessionId: string | undefined,
  channelFor: (sessionId: string) => SessionChannel,
  handlers: PageChatHandlers,
) {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  const [chatId] = useMemo(() => [initialSessionId ?? generateId()], [initialSessionId]);
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
      if (state?.success) latest.current.onSessionState(state.data);
      const progress = part.type === "data-progress" ? progressSchema.safeParse(part.data) : null;
      if (progress?.success) latest.current.onProgress(progress.data);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 401) latest.current.onUnauthorized();
    },
  });
  // Leaving the page lets go of the read (the session itself runs on, on the server).
  const stopReading = useRef(chat.stop);
  stopReading.current = chat.stop;
  useEffect(() => () => void stopReading.current(), []);
  useRereadAfterBreak(chat, transport);
  const following = useFollowing(chat.status, initialSessionId !== undefined);
  return { chat, transport, following };
}

/**
 * Whether the transport reads the session's stream (it then repeats the session's watch itself, and
 * its reads count as one): while a request or stream is in flight, and for an opened session from
 * mount on, as `useChat` resumes it in an effect that runs before the page's own.
 */
function useFollowing(status: ChatStatus, resumes: boolean): boolean {
  const [resumePending, setResumePending] = useState(resumes);
  if (resumePending && status !== "ready") setResumePending(false);
  return resumePending || status === "submitted" || status === "streaming";
}

/**
 * A stream that broke before its end without a refusal (chunks that no longer fit what the tab holds,
 * e.g. after a producer died ahead of the log and another continued past a seam; or no server for
 * too long): the message is read again from its start, which the log always answers exactly.
 */
function useRereadAfterBreak(chat: ReturnType<typeof useChat<UIMessage>>, transport: PageChatTransport) {
  const rereads = useRef(0);
  const handled = useRef<Error | undefined>(undefined);
  const broke =
    chat.status === "error" &&
    transport.sessionId !== null &&
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
