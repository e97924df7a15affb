import { decodeRealtimeMessage, type RealtimeMessage } from "@/lib/session/wire.ts";
import { OutputLog } from "./output-log.ts";
import { readEventStream } from "./read-event-stream.ts";
import type { SubscribeToTopic, TopicSubscription } from "./realtime-topic.ts";
import {
  ApiError,
  cancelSession,
  fetchSessionSnapshot,
  readApiError,
  sessionStreamUrl,
  startChat,
} from "./session-api.ts";
import type { SessionStreamEvent } from "./session-events.ts";
import { openSessionTail, type SessionTail } from "./session-tail.ts";
import {
  type ChatRequest,
  isTerminal,
  type RunnerKind,
  type SessionMode,
  type SessionProgress,
  type SessionSnapshot,
  type SessionStatus,
  type SessionUsage,
} from "./session-types.ts";

/** What the page shows about the one session it follows. */
export interface SessionRunState {
  /** idle: nothing sent; starting: POST in flight; loading: reading the snapshot; running; finished. */
  phase: "idle" | "starting" | "loading" | "running" | "finished";
  sessionId: string | null;
  conversationId: string | null;
  agent: string | null;
  mode: SessionMode | null;
  prompt: string | null;
  status: SessionStatus | null;
  runner: RunnerKind | null;
  output: string;
  /** Byte offsets where a continuation joined the output. */
  seams: number[];
  progress: SessionProgress | null;
  usage: SessionUsage | null;
  costUsd: number | null;
  /** What went wrong, in words for the user (a refused request, or the session's own error). */
  error: { code: string; message: string } | null;
  /** Epoch milliseconds. */
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: string | null;
  stopping: boolean;
}

export const idleSessionRunState: SessionRunState = {
  phase: "idle",
  sessionId: null,
  conversationId: null,
  agent: null,
  mode: null,
  prompt: null,
  status: null,
  runner: null,
  output: "",
  seams: [],
  progress: null,
  usage: null,
  costUsd: null,
  error: null,
  startedAt: null,
  finishedAt: null,
  createdAt: null,
  stopping: false,
};

export interface SessionRunHooks {
  /** The server created the session: the page URL should name it so a reload resumes it. */
  onSessionCreated(sessionId: string): void;
  /** The cookie session expired. */
  onUnauthorized(): void;
  /**
   * Realtime (`session:<id>`): when given, every view that is not the live POST response follows
   * the session over it, fetching missed bytes once with `?follow=0`; without it, the SSE tail.
   */
  subscribe?: SubscribeToTopic;
}

/** What handling one event asks of the connection that delivered it. */
type EventOutcome = "continue" | "terminal" | "follow-stream";

const SNAPSHOT_REFRESH_MS = 5000;
/** While the Realtime channel is not joined, the log is read this often so the page never stalls. */
const REALTIME_DOWN_READ_MS = 15_000;
const RECOVERY_DELAYS_MS = [1000, 2000, 4000, 8000];

function epochMs(iso: string | null): number | null {
  if (iso === null) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
}

function isCancellation(code: string): boolean {
  return code.startsWith("cancel");
}

/**
 * Follows one session from the browser: the live `POST /api/chat` stream first, then (after a
 * handoff, a broken connection or a page reload) the stream endpoint from the byte offset the tab
 * holds. Every delta goes through one OutputLog, so whichever connection delivers a byte, the text
 * on screen has it exactly once. Framework-free: React subscribes and renders `state`.
 */
export class SessionRun {
  #state: SessionRunState = idleSessionRunState;
  readonly #listeners = new Set<() => void>();
  readonly #log = new OutputLog();
  readonly #hooks: SessionRunHooks;
  readonly #postAbort = new AbortController();
  #tail: SessionTail | null = null;
  #refreshTimer: ReturnType<typeof setInterval> | null = null;
  #recoveryTimer: ReturnType<typeof setTimeout> | null = null;
  #recoveryAttempt = 0;
  #readingLiveResponse = false;
  #cancelRequested = false;
  #disposed = false;
  #realtime: TopicSubscription | null = null;
  /** Realtime messages are applied only once the snapshot the log starts from is in. */
  #realtimeReady = false;
  #catchingUp = false;
  #catchUpAgain = false;
  #realtimeDownTimer: ReturnType<typeof setInterval> | null = null;

  constructor(hooks: SessionRunHooks) {
    this.#hooks = hooks;
  }

  get state(): SessionRunState {
    return this.#state;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts a new session with `POST /api/chat`. */
  async send(request: ChatRequest): Promise<void> {
    this.#update({
      phase: "starting",
      prompt: request.message,
      agent: request.agent ?? null,
      mode: request.mode ?? "auto",
      conversationId: request.conversationId ?? null,
    });
    let start: Awaited<ReturnType<typeof startChat>>;
    try {
      start = await startChat(request, this.#postAbort.signal);
    } catch (error) {
      if (this.#disposed) return;
      this.#failToStart(error);
      return;
    }
    if (this.#disposed) return;
    if (start.kind === "background") {
      const { sessionId, conversationId, status } = start.acceptance;
      this.#adoptSessionIdentity(sessionId, conversationId, status);
      this.#follow();
      void this.#refreshSnapshot();
      return;
    }
    await this.#readLiveResponse(start.body);
  }

  /** Shows an existing session (a page load or reload): the snapshot, then the live tail if it runs. */
  async open(sessionId: string): Promise<void> {
    this.#update({ phase: "loading", sessionId });
    // Join before reading, so nothing broadcast between the read and the join is missed.
    this.#subscribeRealtime(sessionId);
    let snapshot: SessionSnapshot;
    try {
      snapshot = await fetchSessionSnapshot(sessionId);
    } catch (error) {
      if (this.#disposed) return;
      this.#failToStart(error);
      return;
    }
    if (this.#disposed) return;
    this.#log.reset(snapshot.output, snapshot.offset);
    this.#adoptSnapshot(snapshot);
    if (isTerminal(snapshot.status)) {
      this.#closeRealtime();
      this.#update({ phase: "finished" });
      return;
    }
    this.#update({ phase: "running" });
    this.#startSnapshotRefresh();
    this.#follow();
  }

  /** Asks the server to cancel; the partial output stays. The stream then ends on its own. */
  async stop(): Promise<void> {
    const { sessionId, status, stopping } = this.#state;
    if (!sessionId || stopping || (status !== null && isTerminal(status))) return;
    this.#cancelRequested = true;
    this.#update({ stopping: true });
    try {
      const result = await cancelSession(sessionId);
      if (this.#disposed) return;
      if (result.outcome === "cancelled") this.#update({ status: "cancelled" });
      // Whatever the outcome, the log's end is the truth: make sure something is reading it.
      if (!this.#readingLiveResponse && this.#tail === null && this.#state.phase !== "finished")
        this.#follow();
      if (result.outcome === "already-finished") void this.#refreshSnapshot();
    } catch (error) {
      if (this.#disposed) return;
      this.#cancelRequested = false;
      this.#update({ stopping: false, error: this.#describe(error) });
    }
  }

  /** Lets go of every connection and timer. The session itself keeps running on the server. */
  dispose(): void {
    this.#disposed = true;
    this.#postAbort.abort();
    this.#closeTail();
    this.#closeRealtime();
    this.#stopSnapshotRefresh();
    if (this.#recoveryTimer !== null) clearTimeout(this.#recoveryTimer);
    this.#listeners.clear();
  }

  async #readLiveResponse(body: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<void> {
    this.#readingLiveResponse = true;
    // Set inside the event callback; an object so the type checker does not narrow it away.
    const last: { outcome: EventOutcome } = { outcome: "follow-stream" };
    try {
      await readEventStream(body, (event) => {
        last.outcome = this.#handleEvent(event);
        return last.outcome === "continue" ? "continue" : "stop";
      });
    } catch (error) {
      if (this.#disposed) return;
      // The live connection broke (network, server restart); the log still has every byte.
      console.warn("The live chat stream broke; resuming from the session log.", error);
      last.outcome = "follow-stream";
    } finally {
      this.#readingLiveResponse = false;
    }
    if (this.#disposed || last.outcome === "terminal") return;
    if (this.#state.sessionId === null) {
      this.#update({
        phase: "finished",
        error: {
          code: "internal:stream",
          message: "The connection closed before the session started. Try again.",
        },
      });
      return;
    }
    this.#follow();
  }

  /**
   * Follows the session from the byte offset this tab holds: over Realtime when available (plus one
   * catch-up read), else by tailing the stream endpoint.
   */
  #follow(): void {
    const sessionId = this.#state.sessionId;
    this.#closeTail();
    if (this.#disposed || sessionId === null) return;
    if (this.#hooks.subscribe) {
      this.#stopSnapshotRefresh();
      this.#subscribeRealtime(sessionId);
      this.#realtimeReady = true;
      void this.#catchUp();
      return;
    }
    this.#tail = openSessionTail(sessionStreamUrl(sessionId, this.#log.offset), {
      onEvent: (event) => {
        this.#recoveryAttempt = 0;
        const outcome = this.#handleEvent(event);
        if (outcome === "continue") return "continue";
        if (outcome === "follow-stream") queueMicrotask(() => this.#follow());
        return "stop";
      },
      onLost: (reason) => {
        this.#tail = null;
        console.warn(`Session ${sessionId}: ${reason} Retrying from the snapshot.`);
        this.#scheduleRecovery();
      },
    });
  }

  #handleEvent(event: SessionStreamEvent): EventOutcome {
    switch (event.type) {
      case "session":
        this.#adoptSessionIdentity(event.sessionId, event.conversationId, event.status);
        return "continue";
      case "delta": {
        const applied = this.#log.applyDelta(event.offset, event.text);
        if (applied === "gap") return "follow-stream";
        if (applied === "appended") this.#update({ output: this.#log.text });
        return "continue";
      }
      case "progress":
        this.#update({ progress: event });
        return "continue";
      case "status":
        this.#update({ status: event.status, runner: event.runner, seams: event.seams });
        return "continue";
      case "rewind":
        this.#log.truncate(event.offset);
        this.#update({ output: this.#log.text });
        return "continue";
      case "handoff":
        // The live runner let go; a background runner continues the same log from this offset.
        this.#log.truncate(event.offset);
        this.#update({ status: event.status, output: this.#log.text });
        void this.#refreshSnapshot();
        return "follow-stream";
      case "done":
        if (event.offset > this.#log.offset) return "follow-stream";
        this.#finish({
          status: event.status,
          usage: event.usage,
          costUsd: event.costUsd,
        });
        return "terminal";
      case "error":
        if (this.#cancelRequested || isCancellation(event.code)) this.#finish({ status: "cancelled" });
        else this.#finish({ status: "failed", error: { code: event.code, message: event.message } });
        return "terminal";
    }
  }

  #adoptSessionIdentity(sessionId: string, conversationId: string | null, status: SessionStatus): void {
    const isNew = this.#state.sessionId === null;
    this.#update({
      sessionId,
      conversationId: conversationId ?? this.#state.conversationId,
      status: this.#state.status !== null && isTerminal(this.#state.status) ? this.#state.status : status,
      phase: this.#state.phase === "finished" ? "finished" : "running",
      startedAt: this.#state.startedAt ?? Date.now(),
    });
    if (isNew) {
      this.#hooks.onSessionCreated(sessionId);
      this.#startSnapshotRefresh();
    }
  }

  #finish(patch: Partial<SessionRunState>): void {
    this.#closeTail();
    this.#closeRealtime();
    this.#stopSnapshotRefresh();
    this.#update({
      ...patch,
      phase: "finished",
      stopping: false,
      finishedAt: this.#state.finishedAt ?? Date.now(),
    });
    // The snapshot adds what events do not carry (runner, final timestamps) and any bytes a
    // cancelled runner wrote after our last delta.
    void this.#refreshSnapshot();
  }

  async #refreshSnapshot(): Promise<void> {
    const sessionId = this.#state.sessionId;
    if (sessionId === null || this.#disposed) return;
    try {
      const snapshot = await this.#pullSnapshot(sessionId);
      if (!snapshot) return;
      if (isTerminal(snapshot.status) && this.#state.phase !== "finished") {
        this.#closeTail();
        this.#stopSnapshotRefresh();
        this.#update({ phase: "finished", stopping: false });
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.#hooks.onUnauthorized();
      else console.warn(`Could not refresh session ${sessionId}.`, error);
    }
  }

  /** Reads the snapshot and takes in what it adds (bytes, status, runner); null once disposed. */
  async #pullSnapshot(sessionId: string): Promise<SessionSnapshot | null> {
    const snapshot = await fetchSessionSnapshot(sessionId);
    if (this.#disposed) return null;
    this.#log.extendFromSnapshot(snapshot.output, snapshot.offset);
    this.#adoptSnapshot(snapshot);
    return snapshot;
  }

  #adoptSnapshot(snapshot: SessionSnapshot): void {
    const localStatus = this.#state.status;
    // A snapshot read before a terminal event may arrive after it: never un-finish a session.
    const keepLocalStatus = localStatus !== null && isTerminal(localStatus) && !isTerminal(snapshot.status);
    const sessionError =
      snapshot.status === "failed" && snapshot.error && !isCancellation(snapshot.error.code)
        ? snapshot.error
        : null;
    this.#update({
      sessionId: snapshot.id,
      conversationId: snapshot.conversationId,
      agent: snapshot.agent,
      mode: snapshot.mode,
      prompt: snapshot.prompt,
      status: keepLocalStatus ? localStatus : snapshot.status,
      runner: snapshot.runner,
      output: this.#log.text,
      seams: snapshot.seams,
      progress: snapshot.progress ?? this.#state.progress,
      usage: snapshot.usage ?? this.#state.usage,
      costUsd: snapshot.costUsd ?? this.#state.costUsd,
      error: sessionError ?? this.#state.error,
      startedAt: epochMs(snapshot.startedAt) ?? this.#state.startedAt,
      finishedAt: epochMs(snapshot.finishedAt) ?? this.#state.finishedAt,
      createdAt: snapshot.createdAt,
    });
  }

  #scheduleRecovery(): void {
    if (this.#disposed || this.#recoveryTimer !== null) return;
    const delay = RECOVERY_DELAYS_MS[Math.min(this.#recoveryAttempt, RECOVERY_DELAYS_MS.length - 1)]!;
    this.#recoveryAttempt += 1;
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = null;
      void this.#recover();
    }, delay);
  }

  /** After a refused stream: re-read the snapshot and, if the session still runs, tail again. */
  async #recover(): Promise<void> {
    const sessionId = this.#state.sessionId;
    if (sessionId === null || this.#disposed) return;
    try {
      const snapshot = await this.#pullSnapshot(sessionId);
      if (!snapshot) return;
      if (isTerminal(snapshot.status)) {
        this.#stopSnapshotRefresh();
        this.#update({ phase: "finished", stopping: false });
        return;
      }
      this.#follow();
    } catch (error) {
      if (this.#disposed) return;
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) {
        this.#failToStart(error);
        return;
      }
      this.#scheduleRecovery();
    }
  }

  #failToStart(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) this.#hooks.onUnauthorized();
    this.#closeTail();
    this.#closeRealtime();
    this.#stopSnapshotRefresh();
    this.#update({ phase: "finished", stopping: false, error: this.#describe(error) });
  }

  #describe(error: unknown): { code: string; message: string } {
    if (error instanceof ApiError) return { code: error.code, message: error.explanation };
    return { code: "network", message: "Could not reach the server. Check your connection and try again." };
  }

  #startSnapshotRefresh(): void {
    if (this.#refreshTimer !== null || this.#disposed) return;
    this.#refreshTimer = setInterval(() => void this.#refreshSnapshot(), SNAPSHOT_REFRESH_MS);
  }

  #stopSnapshotRefresh(): void {
    if (this.#refreshTimer !== null) clearInterval(this.#refreshTimer);
    this.#refreshTimer = null;
  }

  #closeTail(): void {
    this.#tail?.close();
    this.#tail = null;
  }

  #subscribeRealtime(sessionId: string): void {
    if (!this.#hooks.subscribe || this.#realtime !== null || this.#disposed) return;
    this.#realtime = this.#hooks.subscribe(`session:${sessionId}`, {
      onSubscribed: () => {
        if (this.#realtimeDownTimer !== null) clearInterval(this.#realtimeDownTimer);
        this.#realtimeDownTimer = null;
        if (this.#realtimeReady) void this.#catchUp();
      },
      onLeft: () => {
        this.#realtimeDownTimer ??= setInterval(() => {
          if (this.#realtimeReady) void this.#catchUp();
        }, REALTIME_DOWN_READ_MS);
      },
      onMessage: (event, payload) => {
        if (!this.#realtimeReady || this.#disposed) return;
        let message: RealtimeMessage | null;
        try {
          message = decodeRealtimeMessage(event, payload);
        } catch (error) {
          // An unreadable message is only a hint lost: the log still has every byte.
          console.warn(`Session ${sessionId}: ignoring a Realtime message.`, error);
          void this.#catchUp();
          return;
        }
        if (message) this.#applyRealtime(message);
      },
    });
  }

  #closeRealtime(): void {
    if (this.#realtimeDownTimer !== null) clearInterval(this.#realtimeDownTimer);
    this.#realtimeDownTimer = null;
    this.#realtime?.close();
    this.#realtime = null;
    this.#realtimeReady = false;
  }

  /** Realtime and SSE feed the same log: bytes are taken once, by offset; a gap is read from the log. */
  #applyRealtime(message: RealtimeMessage): void {
    switch (message.type) {
      case "log": {
        if (message.to <= this.#log.offset) return;
        if (message.text === undefined || message.from > this.#log.offset) {
          void this.#catchUp();
          return;
        }
        const applied = this.#log.applyDelta(message.to, message.text);
        if (applied === "gap") void this.#catchUp();
        else if (applied === "appended") this.#update({ output: this.#log.text });
        return;
      }
      case "progress":
        this.#update({
          progress: {
            stage: message.stage,
            outputTokens: message.outputTokens,
            elapsedMs: message.elapsedMs,
          },
        });
        return;
      case "status":
        this.#update({ status: message.status, runner: message.runner, seams: message.seams });
        // The catch-up read ends with the session's final event once it is over.
        if (isTerminal(message.status) || message.offset > this.#log.offset) void this.#catchUp();
        return;
      case "session":
        return;
    }
  }

  /**
   * Reads the log from this tab's offset to its durable end (`?follow=0`), once at a time; a request
   * made while one runs is served by one more read after it.
   */
  async #catchUp(): Promise<void> {
    const sessionId = this.#state.sessionId;
    if (sessionId === null || this.#disposed) return;
    if (this.#catchingUp) {
      this.#catchUpAgain = true;
      return;
    }
    this.#catchingUp = true;
    try {
      do {
        this.#catchUpAgain = false;
        const response = await fetch(`${sessionStreamUrl(sessionId, this.#log.offset)}&follow=0`, {
          cache: "no-store",
          signal: this.#postAbort.signal,
        });
        if (!response.ok || !response.body) throw await readApiError(response);
        const last: { terminal: boolean } = { terminal: false };
        await readEventStream(response.body, (event) => {
          if (event.type === "handoff" || event.type === "session") return "continue";
          const outcome = this.#handleEvent(event);
          last.terminal = outcome === "terminal";
          return last.terminal ? "stop" : "continue";
        });
        if (last.terminal) return;
      } while (this.#catchUpAgain && !this.#disposed);
    } catch (error) {
      if (this.#disposed) return;
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) this.#failToStart(error);
      else console.warn(`Session ${sessionId}: catch-up read failed; the next message retries.`, error);
    } finally {
      this.#catchingUp = false;
    }
  }

  #update(patch: Partial<SessionRunState>): void {
    if (this.#disposed) return;
    this.#state = { ...this.#state, ...patch };
    for (const listener of this.#listeners) listener();
  }
}
