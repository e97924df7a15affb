import {
  formatCursor,
  type RealtimeMessage,
  type SessionSnapshot,
  type SessionStreamEvent,
} from "@/lib/session/wire.ts";
import { emptyLogText, type LogText } from "./output-log.ts";
import {
  type ChatRequest,
  isTerminal,
  type RunnerKind,
  type SessionMode,
  type SessionProgress,
  type SessionStatus,
  type SessionUsage,
} from "./session-types.ts";

/** Which connection the tab should hold for the session it follows. */
export type Connection =
  /** Nothing to read (idle, or finished). */
  | "none"
  /** The live `POST /api/chat` answer. */
  | "live"
  /** `GET /api/sessions/:id/stream` from the tab's cursor (replay, then tail). */
  | "stream"
  /** The stream was refused: re-read the snapshot (with backoff), then stream again. */
  | "recover"
  /**
   * Following over Realtime (`session:<id>`): nothing is held open to the web server; a gap, a
   * (re)join and the end are read from the log once (`?follow=0`), then it is back to this.
   */
  | "realtime";

/** What the page shows about the one session it follows. Changed only by `reduceSession`. */
export interface FollowerState {
  /** idle: nothing sent; starting: POST in flight; loading: reading the snapshot; running; finished. */
  phase: "idle" | "starting" | "loading" | "running" | "finished";
  sessionId: string | null;
  conversationId: string | null;
  userMessageId: string | null;
  agent: string | null;
  mode: SessionMode | null;
  prompt: string | null;
  status: SessionStatus | null;
  runner: RunnerKind | null;
  /** The output held and its byte length. */
  log: LogText;
  /** The epoch of the producer whose bytes are held; null when they came from a snapshot. */
  epoch: number | null;
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
  cancelRequested: boolean;
  connection: Connection;
  /** Raised whenever the stream must be (re)opened from the cursor even if one is open (a gap). */
  resync: number;
}

export const idleFollowerState: FollowerState = {
  phase: "idle",
  sessionId: null,
  conversationId: null,
  userMessageId: null,
  agent: null,
  mode: null,
  prompt: null,
  status: null,
  runner: null,
  log: emptyLogText,
  epoch: null,
  seams: [],
  progress: null,
  usage: null,
  costUsd: null,
  error: null,
  startedAt: null,
  finishedAt: null,
  createdAt: null,
  stopping: false,
  cancelRequested: false,
  connection: "none",
  resync: 0,
};

type Failure = { code: string; message: string };

/** Everything that changes what the tab shows: server events, snapshots, Realtime, and the user. */
export type SessionInput =
  | { kind: "event"; event: SessionStreamEvent; at: number }
  | { kind: "snapshot"; snapshot: SessionSnapshot; at: number }
  | { kind: "realtime"; message: RealtimeMessage }
  | { kind: "send"; request: ChatRequest }
  | { kind: "open"; sessionId: string }
  | { kind: "accepted"; sessionId: string; conversationId: string; at: number }
  | { kind: "refused"; error: Failure; at: number }
  | { kind: "live-ended"; at: number }
  | { kind: "stream-lost" }
  | { kind: "unreadable"; message: string; at: number }
  | { kind: "stop-requested" }
  | { kind: "stop-answered"; outcome: "cancelled" | "already-finished" }
  | { kind: "stop-failed"; error: Failure }
  /** A catch-up read (`?follow=0`) reached the durable end without the session ending. */
  | { kind: "caught-up" }
  /** The Realtime channel was (re)joined, or is down a while: read what may have been missed. */
  | { kind: "realtime-resync" };

/** The cursor to resume the stream from (the producer's epoch and offset, or a plain offset after a snapshot). */
export function streamCursor(state: FollowerState): string {
  return formatCursor({ epoch: state.epoch, offset: state.log.offset });
}

export function isCancellation(code: string): boolean {
  return code.startsWith("cancel");
}

export function epochMs(iso: string | null): number | null {
  if (iso === null) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
}

/** A terminal status is final: nothing read later (a stale snapshot, a late event) undoes it. */
export function keepTerminal(state: FollowerState, status: SessionStatus): SessionStatus {
  return state.status !== null && isTerminal(state.status) ? state.status : status;
}

/** Asks for a fresh stream from the cursor (the bytes must be read from the log). */
export function readFromLog(state: FollowerState): FollowerState {
  if (state.phase === "finished") return state;
  return { ...state, connection: "stream", resync: state.resync + 1 };
}

/** Asks for the stream only if nothing is reading yet (an open connection will deliver the rest). */
export function ensureReading(state: FollowerState): FollowerState {
  return state.connection === "none" || state.connection === "realtime" ? readFromLog(state) : state;
}

export function finish(state: FollowerState, patch: Partial<FollowerState>, at: number): FollowerState {
  return {
    ...state,
    ...patch,
    phase: "finished",
    stopping: false,
    connection: "none",
    finishedAt: state.finishedAt ?? at,
  };
}
