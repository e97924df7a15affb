"use client";

import { useChat } from "@ai-sdk/react";
import { generateId, type UIMessage, type UIMessageChunk, UIMessageStreamError } from "ai";
import { useEffect, useMemo, useRef, useSyncExternalStore } from "react";
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
 * one): a page that re-reads a session from its start finds it even once it has finished. It also
 * says whether it reads a stream (`readState`), from the call that opens a read to that stream's end:
 * while it does, it repeats the session's watch itself.
 */
class PageChatTransport extends OvertimeChatTransport<UIMessage> {
  sessionId: string | null = null;
  #reads = 0;
  #readBefore = false;
  #listeners = new Set<() => void>();

  override reconnectToStream(options: Parameters<OvertimeChatTransport<UIMessage>["reconnectToStream"]>[0]) {
    return this.#counted(() =>
      super.reconnectToStream({ ...options, chatId: this.sessionId ?? options.chatId }),
    );
  }

  override sendMessages(options: Parameters<OvertimeChatTransport<UIMessage>["sendMessages"]>[0]) {
    return this.#counted(() => super.sendMessages(options));
  }

  /** `reading` while a read is open; else `idle` once one was, `unread` before the first. */
  readonly readState = (): ReadState => (this.#reads > 0 ? "reading" : this.#readBefore ? "idle" : "unread");

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  async #counted<T extends ReadableStream<UIMessageChunk> | null>(open: () => Promise<T>): Promise<T> {
    this.#changeReads(1);
    let stream: T;
    try {
      stream = await open();
    } catch (error) {
      this.#changeReads(-1);
      throw error;
    }
    if (stream === null) {
      this.#changeReads(-1);
      return stream;
    }
    return onceEnded(stream, () => this.#changeReads(-1)) as T;
  }

  #changeReads(by: 1 | -1) {
    this.#reads += by;
    this.#readBefore = true;
    for (const listener of this.#listeners) listener();
  }
}

type ReadState = "unread" | "reading" | "idle";

/** `stream`'s chunks; `ended` is called once when it closes, errors or is cancelled. */
function onceEnded<T>(stream: ReadableStream<T>, ended: () => void): ReadableStream<T> {
  const reader = stream.getReader();
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    ended();
  };
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          end();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
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
  const following = useFollowing(transport, initialSessionId !== undefined);
  return { chat, transport, following };
}

/**
 * Whether the transport reads the session's stream (it then repeats the session's watch itself, and
 * its reads count as one): while a read is open, and for an opened session from mount until its
 * resume has been read, as `useChat` resumes it in an effect that runs before the page's own. Told by
 * the transport itself, not by `useChat`'s status, whose `submitted` … `ready` a render may not see.
 */
function useFollowing(transport: PageChatTransport, resumes: boolean): boolean {
  const state = useSyncExternalStore(transport.subscribe, transport.readState, () => "unread" as const);
  return state === "reading" || (resumes && state === "unread");
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
