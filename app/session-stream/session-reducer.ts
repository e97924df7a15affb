import type {
  RealtimeMessage,
  SessionSnapshot,
  SessionStatus,
  SessionStreamEvent,
} from "@/lib/session/wire.ts";
import { appendDelta, type LogText, truncateLog } from "./output-log.ts";
import {
  ensureReading,
  epochMs,
  type FollowerState,
  finish,
  idleFollowerState,
  isCancellation,
  keepTerminal,
  readFromLog,
  type SessionInput,
} from "./session-state.ts";
import { type ChatRequest, isTerminal } from "./session-types.ts";

/** The pure heart of the browser: `(state, input) → state`. The driver only opens what it asks for. */
export function reduceSession(state: FollowerState, input: SessionInput): FollowerState {
  switch (input.kind) {
    case "event":
      return reduceEvent(state, input.event, input.at);
    case "snapshot":
      return reduceSnapshot(state, input.snapshot, input.at);
    case "realtime":
      return reduceRealtime(state, input.message);
    default:
      return reduceLocal(state, input);
  }
}

function reduceLocal(
  state: FollowerState,
  input: Exclude<SessionInput, { kind: "event" | "snapshot" | "realtime" }>,
): FollowerState {
  switch (input.kind) {
    case "send":
      return startSending(input.request);
    case "open":
      return { ...idleFollowerState, phase: "loading", sessionId: input.sessionId };
    case "accepted":
      return readFromLog({
        ...state,
        ...adoptIdentity(state, input.sessionId, input.conversationId, input.at),
        status: keepTerminal(state, "background"),
      });
    case "refused":
      return finish(state, { error: input.error }, input.at);
    case "live-ended":
      return liveEnded(state, input.at);
    case "stream-lost":
      return state.phase === "finished" ? state : { ...state, connection: "recover" };
    case "caught-up":
      return state.phase === "finished" || state.connection !== "stream"
        ? state
        : { ...state, connection: "realtime" };
    case "realtime-resync":
      return state.connection === "realtime" ? readFromLog(state) : state;
    case "unreadable":
      return finish(state, { error: { code: "unreadable_event", message: input.message } }, input.at);
    default:
      return reduceStop(state, input);
  }
}

function startSending(request: ChatRequest): FollowerState {
  return {
    ...idleFollowerState,
    phase: "starting",
    prompt: request.message,
    agent: request.agent ?? null,
    mode: request.mode ?? "auto",
    conversationId: request.conversationId ?? null,
    connection: "live",
  };
}

/** The live answer ended without a final event: the log has every byte, read it from there. */
function liveEnded(state: FollowerState, at: number): FollowerState {
  if (state.phase === "finished" || state.connection !== "live") return state;
  if (state.sessionId === null) {
    const message = "The connection closed before the session started. Try again.";
    return finish(state, { error: { code: "internal:stream", message } }, at);
  }
  return readFromLog(state);
}

function reduceStop(
  state: FollowerState,
  input: Extract<SessionInput, { kind: "stop-requested" | "stop-answered" | "stop-failed" }>,
): FollowerState {
  if (input.kind === "stop-requested") return { ...state, stopping: true, cancelRequested: true };
  if (input.kind === "stop-failed")
    return { ...state, stopping: false, cancelRequested: false, error: input.error };
  // Whatever the answer, the log's end is the truth: make sure something is reading it.
  const status = input.outcome === "cancelled" ? keepTerminal(state, "cancelled") : state.status;
  return state.phase === "finished" ? state : ensureReading({ ...state, status });
}

function adoptIdentity(
  state: FollowerState,
  sessionId: string,
  conversationId: string,
  at: number,
): Partial<FollowerState> {
  return {
    sessionId,
    conversationId,
    phase: state.phase === "finished" ? "finished" : "running",
    startedAt: state.startedAt ?? at,
  };
}

function reduceEvent(state: FollowerState, event: SessionStreamEvent, at: number): FollowerState {
  switch (event.type) {
    case "session":
      return {
        ...state,
        ...adoptIdentity(state, event.sessionId, event.conversationId, at),
        status: shownStatus(state, event),
        runner: event.runner,
        seams: event.seams,
      };
    case "delta":
      return applyDelta(state, event.offset, event.text, event.epoch);
    case "rewind":
      return { ...state, log: truncateLog(state.log, event.offset), epoch: event.epoch };
    case "progress":
    case "status":
      return adoptRunState(state, event);
    case "handoff":
      // The live runner let go, possibly behind what it streamed: a background runner continues the
      // log from `offset`, so what lies past it is dropped and read again from the log.
      return readFromLog({
        ...state,
        status: keepTerminal(state, event.status),
        log: truncateLog(state.log, event.offset),
      });
    case "done":
      if (event.offset > state.log.offset) return readFromLog(state);
      return finish(state, { status: event.status, usage: event.usage, costUsd: event.costUsd }, at);
    case "error":
      if (event.offset !== undefined && event.offset > state.log.offset) return readFromLog(state);
      if (state.cancelRequested || isCancellation(event.code))
        return finish(state, { status: "cancelled" }, at);
      return finish(state, { status: "failed", error: { code: event.code, message: event.message } }, at);
  }
}

function applyDelta(state: FollowerState, endOffset: number, text: string, epoch: number | null) {
  const applied = appendDelta(state.log, endOffset, text);
  if (applied.outcome === "gap") return readFromLog(state);
  if (applied.outcome === "duplicate") return state;
  return { ...state, log: applied.log, epoch: epoch ?? state.epoch };
}

/**
 * The status to show for a session state message. A final status is shown only once the tab holds
 * the log up to the durable end it names (`offset`): before that, the page would say "completed"
 * over text that is not the session's yet; the read that brings the bytes ends with the final event.
 */
function shownStatus(state: FollowerState, message: { status: SessionStatus; offset: number }) {
  if (isTerminal(message.status) && message.offset > state.log.offset) return state.status;
  return keepTerminal(state, message.status);
}

/** `progress` and `status` say the same whether they come over SSE or Realtime. */
function adoptRunState(
  state: FollowerState,
  message: Extract<SessionStreamEvent | RealtimeMessage, { type: "progress" | "status" }>,
): FollowerState {
  if (message.type === "progress") {
    const { type: _, ...progress } = message;
    return { ...state, progress };
  }
  return {
    ...state,
    status: shownStatus(state, message),
    runner: message.runner,
    seams: message.seams,
  };
}

function reduceRealtime(state: FollowerState, message: RealtimeMessage): FollowerState {
  switch (message.type) {
    case "log":
      // Durable bytes. Without text, or past what the tab holds, it marks a gap: catch up from the log.
      if (message.to <= state.log.offset) return state;
      if (message.text === undefined || message.from > state.log.offset) return ensureReading(state);
      // Bytes of another producer than the one the tab holds bytes from may replace some of them
      // (a seam): the log decides, by a catch-up read from the tab's cursor.
      if (state.epoch !== null && message.epoch !== state.epoch) return ensureReading(state);
      return applyDelta(state, message.to, message.text, message.epoch ?? null);
    case "progress":
      return adoptRunState(state, message);
    case "status": {
      const next = adoptRunState(state, message);
      // Only the stream's final event carries usage and cost: read it from the log.
      return isTerminal(message.status) ? ensureReading(next) : next;
    }
    case "session":
      if (message.id !== state.sessionId) return state;
      return isTerminal(message.status)
        ? ensureReading(state)
        : { ...state, status: keepTerminal(state, message.status) };
  }
}

/**
 * A snapshot (the page's first read, or a re-read after a refused stream): adopts its bytes when
 * they extend what the tab holds, and everything the events do not carry.
 */
function reduceSnapshot(state: FollowerState, snapshot: SessionSnapshot, at: number): FollowerState {
  const log = adoptSnapshotText(state, snapshot);
  const sessionError =
    snapshot.status === "failed" && snapshot.error && !isCancellation(snapshot.error.code)
      ? snapshot.error
      : null;
  const next: FollowerState = {
    ...state,
    sessionId: snapshot.id,
    conversationId: snapshot.conversationId,
    userMessageId: snapshot.userMessageId,
    agent: snapshot.agent,
    mode: snapshot.mode,
    prompt: snapshot.prompt,
    status: keepTerminal(state, snapshot.status),
    runner: snapshot.runner,
    log: log ?? state.log,
    epoch: log ? null : state.epoch,
    seams: snapshot.seams,
    progress: snapshot.progress ?? state.progress,
    usage: snapshot.usage ?? state.usage,
    costUsd: snapshot.costUsd ?? state.costUsd,
    error: sessionError ?? state.error,
    startedAt: epochMs(snapshot.startedAt) ?? state.startedAt,
    finishedAt: epochMs(snapshot.finishedAt) ?? state.finishedAt,
    createdAt: snapshot.createdAt,
  };
  if (isTerminal(snapshot.status) && next.log.offset >= snapshot.offset) return finish(next, {}, at);
  if (state.phase === "finished") return next;
  return readFromLog({ ...next, phase: "running" });
}

/** The snapshot's text if it extends the held text (or replaces diverged bytes); null to keep ours. */
function adoptSnapshotText(state: FollowerState, snapshot: SessionSnapshot): LogText | null {
  const held = state.log;
  if (snapshot.offset <= held.offset && held.text.startsWith(snapshot.output)) return null;
  return { text: snapshot.output, offset: snapshot.offset };
}
