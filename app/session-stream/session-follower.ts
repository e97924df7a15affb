import type { RealtimeMessage, SessionStreamEvent } from "@/lib/session/wire.ts";
import { decodeRealtimeMessage, WireError } from "@/lib/session/wire.ts";
import { readEventStream } from "./read-event-stream.ts";
import type { TopicSubscription } from "./realtime-topic.ts";
import {
  ApiError,
  cancelSession,
  fetchSessionSnapshot,
  readApiError,
  sessionStreamUrl,
  startChat,
} from "./session-api.ts";
import { describe, isFinalRefusal, recoveryDelay } from "./session-errors.ts";
import { reduceSession } from "./session-reducer.ts";
import { type FollowerState, idleFollowerState, type SessionInput, streamCursor } from "./session-state.ts";
import { openSessionTail, type SessionTail } from "./session-tail.ts";
import type { ChatRequest, SessionFollowerHooks } from "./session-types.ts";

export { type FollowerState, idleFollowerState } from "./session-state.ts";
export type { SessionFollowerHooks } from "./session-types.ts";

/** While the Realtime channel is not joined, the log is read this often so the page never stalls. */
const REALTIME_DOWN_READ_MS = 15_000;

/**
 * The connection driver of one followed session. Every input goes through the pure `reduceSession`;
 * afterwards the driver opens or closes what the state asks for (the live POST answer, the stream
 * endpoint from the tab's cursor, a snapshot re-read after a refused stream). It never polls: the
 * snapshot is read once on open, then events say what changes. Framework-free: React subscribes.
 */
export class SessionFollower {
  #state: FollowerState = idleFollowerState;
  readonly #listeners = new Set<() => void>();
  readonly #hooks: SessionFollowerHooks;
  readonly #postAbort = new AbortController();
  #tail: { tail: SessionTail; resync: number } | null = null;
  #realtime: TopicSubscription | null = null;
  #realtimeDownTimer: ReturnType<typeof setInterval> | null = null;
  #recoveryTimer: ReturnType<typeof setTimeout> | null = null;
  #recoveryAttempt = 0;
  #disposed = false;

  constructor(hooks: SessionFollowerHooks) {
    this.#hooks = hooks;
  }

  get state(): FollowerState {
    return this.#state;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts a new session with `POST /api/chat`. */
  async send(request: ChatRequest): Promise<void> {
    this.#dispatch({ kind: "send", request });
    try {
      const start = await startChat(request, this.#postAbort.signal);
      if (this.#disposed) return;
      if (start.kind === "background") {
        const { sessionId, conversationId } = start.acceptance;
        this.#dispatch({ kind: "accepted", sessionId, conversationId, at: Date.now() });
        return;
      }
      await this.#readLiveAnswer(start.body);
    } catch (error) {
      this.#refuse(error);
    }
  }

  /** Shows an existing session (a page load or reload): the snapshot once, then the stream if it runs. */
  async open(sessionId: string): Promise<void> {
    this.#dispatch({ kind: "open", sessionId });
    try {
      const snapshot = await fetchSessionSnapshot(sessionId);
      this.#dispatch({ kind: "snapshot", snapshot, at: Date.now() });
    } catch (error) {
      this.#refuse(error);
    }
  }

  /** Asks the server to cancel; the partial output stays. The stream then ends on its own. */
  async stop(): Promise<void> {
    const { sessionId, stopping, phase } = this.#state;
    if (!sessionId || stopping || phase === "finished") return;
    this.#dispatch({ kind: "stop-requested" });
    try {
      const result = await cancelSession(sessionId);
      this.#dispatch({ kind: "stop-answered", outcome: result.outcome });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.#hooks.onUnauthorized();
      this.#dispatch({ kind: "stop-failed", error: describe(error) });
    }
  }

  /** A message from the session's Realtime channel (or `user:<id>`): the same reducer as SSE. */
  receiveRealtime(message: RealtimeMessage): void {
    this.#dispatch({ kind: "realtime", message });
  }

  /** Lets go of every connection and timer. The session itself keeps running on the server. */
  dispose(): void {
    this.#disposed = true;
    this.#postAbort.abort();
    this.#closeTail();
    this.#closeRealtime();
    if (this.#recoveryTimer !== null) clearTimeout(this.#recoveryTimer);
    this.#listeners.clear();
  }

  #dispatch(input: SessionInput): void {
    if (this.#disposed) return;
    const previous = this.#state;
    this.#state = reduceSession(previous, input);
    if (this.#state === previous) return;
    if (previous.phase === "starting" && previous.sessionId === null && this.#state.sessionId !== null)
      this.#hooks.onSessionCreated(this.#state.sessionId);
    this.#reconcile();
    for (const listener of this.#listeners) listener();
  }

  /** Opens and closes connections to match what the state asks for. */
  #reconcile(): void {
    const { connection, resync, sessionId, phase } = this.#state;
    // Joined from the first moment a session is known and not live here (before its snapshot is
    // read, so nothing broadcast in between is missed) until it ends.
    const wantRealtime =
      this.#hooks.subscribe !== undefined &&
      sessionId !== null &&
      phase !== "finished" &&
      connection !== "live";
    if (wantRealtime && this.#realtime === null && sessionId !== null) this.#openRealtime(sessionId);
    if (!wantRealtime) this.#closeRealtime();
    if (connection !== "stream" || (this.#tail !== null && this.#tail.resync !== resync)) this.#closeTail();
    if (connection === "recover") this.#scheduleRecovery();
    if (connection !== "stream" || this.#tail !== null || sessionId === null) return;
    if (this.#hooks.subscribe) {
      this.#tail = { tail: this.#catchUp(sessionId, resync), resync };
      return;
    }
    const tail = openSessionTail(sessionStreamUrl(sessionId, streamCursor(this.#state)), {
      onEvent: (event) => {
        this.#recoveryAttempt = 0;
        this.#receive(event);
      },
      onLost: () => {
        console.warn(`Session ${sessionId}: the stream was refused; re-reading the snapshot.`);
        this.#tail = null;
        this.#dispatch({ kind: "stream-lost" });
      },
      onUnreadable: (error) => this.#dispatch({ kind: "unreadable", message: error.message, at: Date.now() }),
    });
    this.#tail = { tail, resync };
  }

  #receive(event: SessionStreamEvent): void {
    this.#dispatch({ kind: "event", event, at: Date.now() });
  }

  async #readLiveAnswer(body: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<void> {
    try {
      await readEventStream(body, (event) => {
        this.#receive(event);
        return this.#state.connection === "live" ? "continue" : "stop";
      });
    } catch (error) {
      if (this.#disposed) return;
      if (error instanceof WireError) {
        this.#dispatch({ kind: "unreadable", message: error.message, at: Date.now() });
        return;
      }
      // The live connection broke (network, server restart); the log still has every byte.
      console.warn("The live chat stream broke; resuming from the session log.", error);
    }
    this.#dispatch({ kind: "live-ended", at: Date.now() });
  }

  #scheduleRecovery(): void {
    if (this.#disposed || this.#recoveryTimer !== null) return;
    const delay = recoveryDelay(this.#recoveryAttempt);
    this.#recoveryAttempt += 1;
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = null;
      void this.#recover();
    }, delay);
  }

  /** After a refused stream: re-read the snapshot (it says why, and what the log holds now). */
  async #recover(): Promise<void> {
    const sessionId = this.#state.sessionId;
    if (sessionId === null || this.#disposed) return;
    try {
      const snapshot = await fetchSessionSnapshot(sessionId);
      this.#dispatch({ kind: "snapshot", snapshot, at: Date.now() });
    } catch (error) {
      if (isFinalRefusal(error)) this.#refuse(error);
      else this.#scheduleRecovery();
    }
  }

  #refuse(error: unknown): void {
    if (this.#disposed) return;
    if (error instanceof ApiError && error.status === 401) this.#hooks.onUnauthorized();
    this.#dispatch({ kind: "refused", error: describe(error), at: Date.now() });
  }

  #closeTail(): void {
    this.#tail?.tail.close();
    this.#tail = null;
  }

  /**
   * One read of the log from the tab's cursor to its durable end (`?follow=0`): the replay goes
   * through the reducer like any stream; if the session did not end, Realtime takes over again.
   */
  #catchUp(sessionId: string, resync: number): SessionTail {
    const abort = new AbortController();
    const url = `${sessionStreamUrl(sessionId, streamCursor(this.#state))}&follow=0`;
    const stillCurrent = () => !this.#disposed && !abort.signal.aborted && this.#tail?.resync === resync;
    void (async () => {
      const response = await fetch(url, { cache: "no-store", signal: abort.signal });
      if (!response.ok || !response.body) throw await readApiError(response);
      await readEventStream(response.body, (event) => {
        if (!stillCurrent()) return "stop";
        this.#receive(event);
        return this.#state.connection === "stream" ? "continue" : "stop";
      });
      if (!stillCurrent()) return;
      this.#tail = null;
      this.#dispatch({ kind: "caught-up" });
    })().catch((error: unknown) => {
      if (!stillCurrent()) return;
      this.#tail = null;
      if (error instanceof WireError) {
        this.#dispatch({ kind: "unreadable", message: error.message, at: Date.now() });
      } else if (isFinalRefusal(error)) {
        this.#refuse(error);
      } else {
        console.warn(`Session ${sessionId}: a catch-up read failed; re-reading the snapshot.`, error);
        this.#dispatch({ kind: "stream-lost" });
      }
    });
    return { close: () => abort.abort() };
  }

  #openRealtime(sessionId: string): void {
    const subscribe = this.#hooks.subscribe;
    if (!subscribe) return;
    this.#realtime = subscribe(`session:${sessionId}`, {
      onSubscribed: () => {
        if (this.#realtimeDownTimer !== null) clearInterval(this.#realtimeDownTimer);
        this.#realtimeDownTimer = null;
        this.#dispatch({ kind: "realtime-resync" });
      },
      onLeft: () => {
        this.#realtimeDownTimer ??= setInterval(
          () => this.#dispatch({ kind: "realtime-resync" }),
          REALTIME_DOWN_READ_MS,
        );
      },
      onMessage: (event, payload) => {
        // Until the snapshot is in, the log has no base to apply bytes to; the first read covers them.
        if (this.#disposed || this.#state.phase === "loading") return;
        let message: RealtimeMessage | null;
        try {
          message = decodeRealtimeMessage(event, payload);
        } catch (error) {
          // A message is only a hint: an unreadable one is dropped and the log read instead.
          console.warn(`Session ${sessionId}: ignoring an unreadable Realtime message.`, error);
          this.#dispatch({ kind: "realtime-resync" });
          return;
        }
        if (message) this.receiveRealtime(message);
      },
    });
  }

  #closeRealtime(): void {
    if (this.#realtimeDownTimer !== null) clearInterval(this.#realtimeDownTimer);
    this.#realtimeDownTimer = null;
    this.#realtime?.close();
    this.#realtime = null;
  }
}
