import type { InLine } from "./send-gate.ts";
import type { SessionProgress, SessionState } from "./session-observer.ts";

/** Under a steady stream, progress is sent about this often; bytes take the other slots. */
const PROGRESS_EVERY_MS = 1000;
const PROGRESS_WHILE_FLOWING_MS = 5000;

export type Kind = "log" | "status" | "progress";

export interface PendingLog {
  from: number;
  to: number;
  epoch?: number;
  parts: string[];
  bytes: number;
}

export interface SessionSlot {
  log?: PendingLog;
  progress?: SessionProgress;
  status?: { state: SessionState; attempts: number };
  lastSentAt: number;
  /** When the last `maxPerSecond` messages went out, oldest first (the sliding window). */
  sentTimes: number[];
  lastProgressAt: number;
  lastLogAt: number;
  lastStage?: string | null;
  timer?: ReturnType<typeof setTimeout>;
  /** The timer is only the idle clean-up or a wait for progress to be due: new work replaces it. */
  idle: boolean;
  /** One message of a session in flight at a time, so subscribers get them in order. */
  sending: boolean;
  /** In line for room in the process's in-flight limit (`SendGate.line`). */
  queued: InLine["queued"];
  places: number;
  ended: boolean;
}

/** A session with nothing sent yet. */
export function newSlot(): SessionSlot {
  return {
    lastSentAt: Number.NEGATIVE_INFINITY,
    sentTimes: [],
    lastProgressAt: Number.NEGATIVE_INFINITY,
    lastLogAt: Number.NEGATIVE_INFINITY,
    ended: false,
    idle: false,
    sending: false,
    queued: false,
    places: 0,
  };
}

/**
 * Adds a durable append to the pending `log` range (contiguous appends merge). Past `maxTextBytes`
 * the text is dropped for good: readers fetch the range from the stream endpoint.
 */
export function mergeAppend(
  slot: SessionSlot,
  append: { from: number; to: number; text: string; epoch?: number },
  maxTextBytes: number,
): void {
  const pending = slot.log;
  const bytes = Buffer.byteLength(append.text, "utf8");
  if (pending && pending.to === append.from && pending.epoch === append.epoch) {
    pending.to = append.to;
    if (pending.bytes + bytes <= maxTextBytes && pending.bytes >= 0) {
      pending.parts.push(append.text);
      pending.bytes += bytes;
    } else {
      pending.parts = [];
      pending.bytes = -1;
    }
  } else {
    const fits = bytes <= maxTextBytes;
    slot.log = {
      from: append.from,
      to: append.to,
      epoch: append.epoch,
      parts: fits ? [append.text] : [],
      bytes: fits ? bytes : -1,
    };
  }
}

/**
 * One message per slot. Under a steady stream the bytes go first (a slot right after each append,
 * so they reach readers without waiting) and progress takes one when due (see `progressWait`); a
 * `status` waits for the `log` before it so a reader sees the bytes before the state after them.
 */
export function pickNext(slot: SessionSlot, now: number): Kind | undefined {
  const progressDue = slot.progress !== undefined && !slot.ended && progressWait(slot, now) <= 0;
  if (slot.status && !slot.log) return "status";
  if (slot.log && !progressDue) return "log";
  if (progressDue) return "progress";
  if (slot.log) return "log";
  if (slot.status) return "status";
  if (slot.ended) slot.progress = undefined;
  return undefined;
}

/**
 * How long progress still waits. While bytes flow, `log` messages show the session moving, so
 * progress takes a slot only when its stage changed or every few seconds — a slot it takes is one
 * the next `log` waits for. When output pauses (a long tool call) it goes out every second.
 */
export function progressWait(slot: SessionSlot, now: number): number {
  if (slot.progress && slot.progress.stage !== slot.lastStage) return slot.lastSentAt - now;
  const flowing = now - slot.lastLogAt < PROGRESS_EVERY_MS;
  return slot.lastProgressAt + (flowing ? PROGRESS_WHILE_FLOWING_MS : PROGRESS_EVERY_MS) - now;
}

/** The `user:<id>` `session` message of a session. */
export function sessionEvent(state: SessionState): Record<string, unknown> {
  const { id, status, title, agent, updatedAt } = state;
  return { id, status, title, agent, updatedAt };
}
