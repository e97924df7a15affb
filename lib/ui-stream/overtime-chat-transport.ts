/**
 * `OvertimeChatTransport`: an AI SDK `ChatTransport` for Overtime's `/api/chat` that needs no app code
 * for the 800 s limit. Browser-safe: it imports only `ai`, the watch repeater and its change signal
 * (no server modules).
 *
 * - It counts the chunks it passed on; when a response ends without `finish` (a handoff at the live
 *   budget, a dropped connection, a deploy) it reconnects with `GET /api/chat/{sessionId}/stream?
 *   startIndex=<count>` and gets exactly the chunks after those (the server numbers chunks the same
 *   on every read), so nothing is replayed or doubled.
 * - A detached (background) session can be followed without holding a request open: pass `follow`,
 *   a subscription that says when the session's log grows (e.g. Supabase Realtime `session:<id>`);
 *   the transport then reads only the new chunks each time (`&follow=0`, a short catch-up read).
 * - When the tab becomes visible again it reconnects at once instead of waiting for its backoff.
 * - While it follows a session it tells the server so (`POST /api/sessions/:id/watch`, every 30 s
 *   while the tab is visible): a watched session is broadcast live and checkpointed often.
 */
import {
  type ChatTransport,
  parseJsonEventStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from "ai";
import { repeatWatch, watchUrl } from "../realtime/watch-repeater.ts";
import { ChangeSignal, FOLLOW_FALLBACK_MS, type FollowSubscription } from "./change-signal.ts";

export interface OvertimeChatTransportOptions {
  /** Default `/api/chat`. */
  api?: string;
  /** Headers of every request (e.g. `Authorization: Bearer <token>`); a function is called per request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Overtime's options (`agent`, `mode`, `maxCredits`) sent with every message. */
  body?: Record<string, unknown>;
  fetch?: typeof fetch;
  /** Reconnect attempts in a row that may fail before the stream errors (default 5). */
  maxReconnects?: number;
  /**
   * Follows a session without a request open: call `onChange` whenever its log or status changes;
   * returns the unsubscribe. Without it, the transport holds one stream request (a tail) instead.
   */
  follow?: FollowSubscription;
  /** The app's API root for the session watch (default: `api` without its last segment, `/api`). */
  sessionsApi?: string;
}

type SendOptions = Parameters<ChatTransport<UIMessage>["sendMessages"]>[0];
type ReconnectOptions = Parameters<ChatTransport<UIMessage>["reconnectToStream"]>[0];

export class OvertimeChatTransport<UI_MESSAGE extends UIMessage = UIMessage>
  implements ChatTransport<UI_MESSAGE>
{
  readonly #options: OvertimeChatTransportOptions;
  readonly #api: string;
  /** Reconnects replay nothing: they continue at the chunk after the last one passed on. */
  readonly resumeStreamIsReplay = false;

  constructor(options: OvertimeChatTransportOptions = {}) {
    this.#options = options;
    this.#api = options.api ?? "/api/chat";
  }

  async sendMessages(
    options: SendOptions & { messages: UI_MESSAGE[] },
  ): Promise<ReadableStream<UIMessageChunk>> {
    const body = {
      ...this.#options.body,
      ...(options.body ?? {}),
      id: options.chatId,
      messages: options.messages,
      trigger: options.trigger,
      messageId: options.messageId,
    };
    const response = await this.#fetch(this.#api, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [SESSION_STATE_HEADER]: "1",
        ...(await this.#headers(options.headers)),
      },
      body: JSON.stringify(body),
      signal: options.abortSignal,
    });
    await failUnlessOk(response);
    const sessionId = response.headers.get("x-workflow-run-id");
    if (!sessionId) throw new Error("The chat response has no x-workflow-run-id header.");
    return this.#follow(sessionId, response, options.abortSignal ?? undefined);
  }

  async reconnectToStream(options: ReconnectOptions): Promise<ReadableStream<UIMessageChunk> | null> {
    // Following: a catch-up read (the follow subscription says when to read on), not a held tail.
    const follow = this.#options.follow ? "?follow=0" : "";
    const response = await this.#fetch(`${this.#api}/${encodeURIComponent(options.chatId)}/stream${follow}`, {
      headers: { [SESSION_STATE_HEADER]: "1", ...(await this.#headers(options.headers)) },
      signal: options.abortSignal,
    });
    if (response.status === 204) return null;
    await failUnlessOk(response);
    const sessionId = response.headers.get("x-workflow-run-id") ?? options.chatId;
    return this.#follow(sessionId, response, options.abortSignal);
  }

  /** The chunks of `first`, then of as many reconnects by index as it takes to reach `finish`. */
  #follow(
    sessionId: string,
    first: Response,
    signal: AbortSignal | undefined,
  ): ReadableStream<UIMessageChunk> {
    const transport = this;
    const changes = new ChangeSignal(this.#options.follow, sessionId);
    let index = 0;
    let finished = false;
    async function* chunks(): AsyncGenerator<UIMessageChunk> {
      const stopWatching = transport.#watch(sessionId);
      try {
        yield* follow();
      } finally {
        stopWatching();
      }
    }
    async function* follow(): AsyncGenerator<UIMessageChunk> {
      let response: Response | null = first;
      let failures = 0;
      try {
        while (!finished && !signal?.aborted) {
          try {
            changes.reading();
            response ??= await transport.#resume(sessionId, index, signal);
            for await (const chunk of readChunks(response)) {
              // `data-session` parts are not in the numbered sequence (see SESSION_STATE_HEADER).
              if (!isSessionState(chunk)) index += 1;
              failures = 0;
              if (chunk.type === "finish") finished = true;
              yield chunk;
            }
          } catch (error) {
            if (signal?.aborted) return;
            failures += 1;
            if (failures > (transport.#options.maxReconnects ?? 5)) throw error;
          }
          response = null;
          if (!finished) await transport.#waitBeforeReconnect(changes, failures, signal);
        }
      } finally {
        changes.close();
      }
    }
    return iterableToStream(chunks());
  }

  /** Repeats the session's watch while the tab is visible; returns what stops it. */
  #watch(sessionId: string): () => void {
    const api = this.#options.sessionsApi ?? this.#api.replace(/\/[^/]*$/, "");
    return repeatWatch({
      url: watchUrl({ session: sessionId }, api),
      fetch: this.#options.fetch,
      headers: () => this.#headers(),
      onError: (error) => console.warn("Could not tell the server this tab is watching.", error),
    });
  }

  async #resume(sessionId: string, startIndex: number, signal: AbortSignal | undefined): Promise<Response> {
    const follow = this.#options.follow ? "&follow=0" : "";
    const url = `${this.#api}/${encodeURIComponent(sessionId)}/stream?startIndex=${startIndex}${follow}`;
    const headers = { [SESSION_STATE_HEADER]: "1", ...(await this.#headers()) };
    const response = await this.#fetch(url, { headers, signal });
    if (response.status === 204) throw new Error("The session is gone.");
    await failUnlessOk(response);
    return response;
  }

  /** Backoff after a failure (cut short when the tab comes back), or the next change when following. */
  #waitBeforeReconnect(
    changes: ChangeSignal,
    failures: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise((resolve) => {
      const following = changes.active && failures === 0;
      const delay = following
        ? FOLLOW_FALLBACK_MS
        : failures === 0
          ? 0
          : Math.min(5000, 250 * 2 ** (failures - 1));
      const cleanups: (() => void)[] = [];
      const done = () => {
        for (const cleanup of cleanups) cleanup();
        resolve();
      };
      if (following) cleanups.push(changes.next(done));
      const timer = setTimeout(done, delay);
      cleanups.push(() => clearTimeout(timer));
      signal?.addEventListener("abort", done, { once: true });
      cleanups.push(() => signal?.removeEventListener("abort", done));
      const doc = (globalThis as { document?: EventTarget & { visibilityState?: string } }).document;
      const onVisible = () => doc?.visibilityState === "visible" && done();
      doc?.addEventListener("visibilitychange", onVisible);
      cleanups.push(() => doc?.removeEventListener("visibilitychange", onVisible));
    });
  }

  #fetch(url: string, init: RequestInit): Promise<Response> {
    return (this.#options.fetch ?? globalThis.fetch)(url, init);
  }

  async #headers(extra?: Record<string, string> | Headers): Promise<Record<string, string>> {
    const base =
      typeof this.#options.headers === "function" ? await this.#options.headers() : this.#options.headers;
    const more = extra instanceof Headers ? Object.fromEntries(extra.entries()) : (extra ?? {});
    return { ...base, ...more };
  }
}

/** Asks the server for `data-session` parts (status, runner, seams; transient, not numbered). */
export const SESSION_STATE_HEADER = "x-overtime-session-state";

/** A `data-session` part: sent outside the numbered sequence, so not counted. */
function isSessionState(chunk: UIMessageChunk): boolean {
  return chunk.type === "data-session";
}

/** The UI chunks of one response body (a chunk the schema refuses is an error). */
async function* readChunks(response: Response): AsyncGenerator<UIMessageChunk> {
  if (!response.body) throw new Error("The chat response has no body.");
  const reader = parseJsonEventStream({ stream: response.body, schema: uiMessageChunkSchema }).getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!value.success) throw value.error;
      yield value.value;
    }
  } finally {
    reader.releaseLock();
  }
}

function iterableToStream<T>(iterable: AsyncGenerator<T>): ReadableStream<T> {
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const next = await iterable.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await iterable.return(undefined);
    },
  });
}

/** A refused request as an Error with the server's sentence (`{code, message}` JSON). */
async function failUnlessOk(response: Response): Promise<void> {
  if (response.ok) return;
  const text = await response.text();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; code?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON: the body as it is.
  }
  throw Object.assign(new Error(message || `HTTP ${response.status}`), { status: response.status });
}
