import { isTerminal } from "../lifecycle.ts";
import type { SessionObserver, WatchState } from "../session/ports.ts";
import { SendGate } from "./send-gate.ts";
import type { SessionProgress, SessionState } from "./session-observer.ts";
import {
  type Kind,
  mergeAppend,
  newSlot,
  type PendingLog,
  pickNext,
  progressWait,
  type SessionSlot,
  sessionEvent,
} from "./session-slot.ts";

/** Sends one broadcast; rejects on any failure (the broadcaster logs it and carries on). */
export type Publish = (topic: string, event: string, payload: Record<string, unknown>) => Promise<void>;

export interface BroadcasterOptions {
  publish: Publish;
  /** Reads the session's current state after a status change (null: gone). */
  loadSession: (sessionId: string) => Promise<SessionState | null>;
  /** Releases what the publisher keeps for a topic once its session ended. */
  forgetTopic?: (topic: string) => void;
  onError: (message: string, fields: Record<string, unknown>) => void;
  /** Messages of one session in any 1-second window (hosted Realtime bills and limits per message). */
  maxPerSecond?: number;
  /** Broadcasts in flight at once for the whole process; a session waits (coalescing) when full. */
  maxInFlight?: number;
  /** `log` text above this many bytes is left out: the client reads the range from the stream. */
  maxLogTextBytes?: number;
  now?: () => number;
}

const IDLE_FORGET_MS = 5000;
const STATUS_RETRIES = 3;
const BUSY_RETRY_MS = 25;
const RATE_LIMIT_PAUSE_MS = 1000;
/** A running session's progress on a watched sessions list (`user:<id>` `session`) at most this often. */
const LIST_PROGRESS_EVERY_MS = 15_000;

/**
 * Realtime broadcasting for every runner (DESIGN §4): `log` after each durable append, `progress`,
 * and `status` on `session:<id>`; `session` on `user:<id>`. Per session at most `maxPerSecond` (10)
 * messages in any second, at any token rate: pending `log` ranges are merged, progress and status
 * keep only their latest value, so the last state is always sent. Fire-and-forget: nothing here
 * awaits on the runner's path, and memory is bounded (one pending range of at most `maxLogTextBytes`
 * of text, one progress, one status per session).
 *
 * Costs follow watchers (issue 19): a session nobody watches (as its runner's last checkpoint write
 * found) sends no `log` and no `progress`, only `status` at transitions and the `user:<id>` events
 * (with its progress at most every 15 s while someone watches the list). A watcher that arrives
 * catches up with one read of the log; the next append is broadcast again.
 */
export class RealtimeBroadcaster implements SessionObserver {
  readonly #options: Required<Omit<BroadcasterOptions, "forgetTopic">> &
    Pick<BroadcasterOptions, "forgetTopic">;
  readonly #slots = new Map<string, SessionSlot>();
  readonly #gate: SendGate;
  /** After a 429 (the project's messages-per-second limit) the whole process pauses briefly. */
  #pausedUntil = 0;
  #lastErrorLogAt = new Map<string, number>();
  #listProgressAt = new Map<string, number>();

  constructor(options: BroadcasterOptions) {
    this.#options = {
      maxPerSecond: 10,
      maxInFlight: 16,
      maxLogTextBytes: 32 * 1024,
      now: Date.now,
      ...options,
    };
    this.#gate = new SendGate(this.#options.maxInFlight);
  }

  appended(append: {
    sessionId: string;
    from: number;
    to: number;
    text: string;
    epoch?: number;
    watch?: WatchState;
  }): void {
    if (append.to <= append.from || append.watch?.session === false) return;
    const slot = this.#slot(append.sessionId);
    mergeAppend(slot, append, this.#options.maxLogTextBytes);
    this.#schedule(append.sessionId, slot);
  }

  progress(sessionId: string, progress: SessionProgress, watch?: WatchState): void {
    if (watch?.list) this.#listProgress(sessionId, progress);
    if (watch?.session === false) return;
    const slot = this.#slot(sessionId);
    // One progress shape everywhere: the Realtime encoder (wire-realtime.ts) writes a missing stage as null.
    slot.progress = progress;
    this.#schedule(sessionId, slot);
  }

  statusChanged(sessionId: string): void {
    this.#options.loadSession(sessionId).then(
      (state) => {
        if (!state) return;
        const slot = this.#slot(sessionId);
        slot.status = { state, attempts: 0 };
        this.#schedule(sessionId, slot);
        // The sessions list hears of it at once; one message per status change.
        const event = sessionEvent(state);
        this.#gate.whenRoom(() => this.#send(sessionId, `user:${state.userId}`, "session", event));
        if (isTerminal(state.status)) this.#listProgressAt.delete(sessionId);
      },
      (error: unknown) =>
        this.#logError(sessionId, "could not read the session for a status broadcast", error),
    );
  }

  /** A running session's progress on its owner's watched list: at most one every 15 s. */
  #listProgress(sessionId: string, progress: SessionProgress): void {
    const now = this.#options.now();
    if (now - (this.#listProgressAt.get(sessionId) ?? Number.NEGATIVE_INFINITY) < LIST_PROGRESS_EVERY_MS)
      return;
    if (this.#listProgressAt.size > 10_000) this.#listProgressAt.clear();
    this.#listProgressAt.set(sessionId, now);
    this.#options.loadSession(sessionId).then(
      (state) => {
        if (!state || isTerminal(state.status)) return;
        const event = { ...sessionEvent(state), progress };
        this.#gate.whenRoom(() => this.#send(sessionId, `user:${state.userId}`, "session", event));
      },
      (error: unknown) => this.#logError(sessionId, "could not read the session for list progress", error),
    );
  }

  /** Sessions with something still to send (for tests and shutdown). */
  get pendingSessions(): number {
    return this.#slots.size;
  }

  #slot(sessionId: string): SessionSlot {
    let slot = this.#slots.get(sessionId);
    if (!slot) {
      slot = newSlot();
      this.#slots.set(sessionId, slot);
    }
    return slot;
  }

  #schedule(sessionId: string, slot: SessionSlot): void {
    if (slot.timer && slot.idle) clearTimeout(slot.timer);
    else if (slot.timer) return;
    slot.idle = false;
    const now = this.#options.now();
    // A sliding window rather than a fixed spacing: a message that had to wait merges with the next
    // append, and the one after goes out the moment it lands instead of staying a slot behind.
    const window = slot.sentTimes;
    const delay = window.length < this.#options.maxPerSecond ? 0 : Math.max(0, window[0]! + 1000 - now);
    slot.timer = setTimeout(() => this.#tick(sessionId, slot), delay);
    slot.timer.unref?.();
  }

  #tick(sessionId: string, slot: SessionSlot): void {
    slot.timer = undefined;
    if (this.#slots.get(sessionId) !== slot) return;
    const kind = pickNext(slot, this.#options.now());
    const paused = this.#pausedUntil - this.#options.now();
    if (!kind) this.#rest(sessionId, slot);
    else if (paused > 0) this.#tickLater(sessionId, slot, paused);
    // The previous message is still on its way (look again shortly), or the process is at its
    // limit (wait in line, bytes first): meanwhile new output merges into what is pending.
    else if (slot.sending) this.#tickLater(sessionId, slot, BUSY_RETRY_MS);
    else if (this.#gate.full) this.#waitForRoom(sessionId, slot);
    else {
      this.#noteSent(slot, kind);
      if (kind === "log") this.#sendLog(sessionId, slot);
      else if (kind === "progress") this.#sendProgress(sessionId, slot);
      else this.#sendStatus(sessionId, slot);
      this.#schedule(sessionId, slot);
    }
  }

  #waitForRoom(sessionId: string, slot: SessionSlot): void {
    this.#gate.line(slot, slot.log !== undefined, () => {
      // A timer armed while it waited is for this same tick (no send of this slot since).
      if (slot.timer) clearTimeout(slot.timer);
      this.#tick(sessionId, slot);
    });
  }

  #tickLater(sessionId: string, slot: SessionSlot, delayMs: number): void {
    slot.timer = setTimeout(() => this.#tick(sessionId, slot), delayMs);
    slot.timer.unref?.();
  }

  /** Nothing is due now: wait for pending progress, or let the slot go once it has been idle long enough. */
  #rest(sessionId: string, slot: SessionSlot): void {
    if (slot.progress && !slot.ended) {
      // Only progress is waiting, and it is not due yet: it goes out once its second is up.
      this.#tickLater(sessionId, slot, Math.max(0, progressWait(slot, this.#options.now())));
      slot.idle = true;
      return;
    }
    // Idle: keep the slot a little so a burst right after still respects the spacing.
    if (this.#options.now() - slot.lastSentAt >= IDLE_FORGET_MS) {
      this.#slots.delete(sessionId);
      if (slot.ended) this.#options.forgetTopic?.(`session:${sessionId}`);
    } else {
      this.#tickLater(sessionId, slot, IDLE_FORGET_MS);
      slot.idle = true;
    }
  }

  /** Records the send in the slot's rate window and in what pacing `progress` depends on. */
  #noteSent(slot: SessionSlot, kind: Kind): void {
    slot.lastSentAt = this.#options.now();
    slot.sentTimes.push(slot.lastSentAt);
    if (slot.sentTimes.length > this.#options.maxPerSecond) slot.sentTimes.shift();
    if (kind === "progress") {
      slot.lastProgressAt = slot.lastSentAt;
      slot.lastStage = slot.progress?.stage;
    }
    if (kind === "log") slot.lastLogAt = slot.lastSentAt;
  }

  #sendLog(sessionId: string, slot: SessionSlot): void {
    const log = slot.log as PendingLog;
    slot.log = undefined;
    const payload: Record<string, unknown> = { from: log.from, to: log.to };
    if (log.bytes >= 0) payload.text = log.parts.join("");
    // The wire calls the producer's epoch `generation` (lib/session/wire.ts).
    if (log.epoch !== undefined) payload.generation = log.epoch;
    this.#send(sessionId, `session:${sessionId}`, "log", payload, undefined, slot);
  }

  #sendProgress(sessionId: string, slot: SessionSlot): void {
    const progress = slot.progress as SessionProgress;
    slot.progress = undefined;
    this.#send(sessionId, `session:${sessionId}`, "progress", { ...progress }, undefined, slot);
  }

  #sendStatus(sessionId: string, slot: SessionSlot): void {
    const status = slot.status as { state: SessionState; attempts: number };
    slot.status = undefined;
    const { state } = status;
    if (isTerminal(state.status)) slot.ended = true;
    this.#send(
      sessionId,
      `session:${sessionId}`,
      "status",
      { status: state.status, runner: state.runner, offset: state.offset, seams: state.seams },
      () => {
        // A lost status is the one message a reader cannot infer: retry it a few times unless a
        // newer one is already waiting.
        if (!slot.status && status.attempts < STATUS_RETRIES && this.#slots.get(sessionId) === slot) {
          slot.status = { state, attempts: status.attempts + 1 };
        }
      },
      slot,
    );
  }

  #send(
    sessionId: string,
    topic: string,
    event: string,
    payload: Record<string, unknown>,
    onFailure?: () => void,
    slot?: SessionSlot,
  ): void {
    this.#gate.begin();
    if (slot) slot.sending = true;
    this.#options
      .publish(topic, event, payload)
      .catch((error: unknown) => {
        onFailure?.();
        // Realtime answers 429 "You have exceeded your rate limit": back off, keep coalescing.
        if (error instanceof Error && /rate limit/i.test(error.message)) {
          this.#pausedUntil = this.#options.now() + RATE_LIMIT_PAUSE_MS;
        }
        this.#logError(sessionId, `realtime ${event} broadcast failed`, error);
      })
      .finally(() => {
        if (slot) slot.sending = false;
        this.#gate.end();
      });
  }

  /** At most one line per session every 30 s: a Realtime outage must not flood the logs. */
  #logError(sessionId: string, message: string, error: unknown): void {
    const now = this.#options.now();
    const last = this.#lastErrorLogAt.get(sessionId);
    if (last !== undefined && now - last < 30_000) return;
    this.#lastErrorLogAt.set(sessionId, now);
    if (this.#lastErrorLogAt.size > 10_000) this.#lastErrorLogAt.clear();
    this.#options.onError(message, { sessionId, error });
  }
}
