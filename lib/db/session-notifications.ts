import { logError } from "../log.ts";
import type { Sql } from "./client.ts";
import { ChannelListener } from "./listen.ts";
import { ListenerRegistry } from "./listener-registry.ts";
import { decodeNotify } from "./notify-payloads.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";
import { watchSessions } from "./session-watches.ts";

/** A change to a session's log: the new durable offset and, on status changes, the status. */
export interface SessionChange {
  sessionId: string;
  offset: number;
  status?: string;
}

type Listener = (change: SessionChange) => void;

/**
 * A watched session: its first `listened_until` mark (every subscriber waits for it) and the newest
 * `updated_at` a reader has seen.
 */
interface WatchedSession {
  readonly marked: Promise<void>;
  seen?: number;
}

/** See `SessionNotifications.watch`. */
export interface SessionWatch {
  reading(): void;
  next(): Promise<void>;
  close(): void;
}

/** How often a held tail renews its session's watch (a watch lasts WATCH_SECONDS, 60 s). */
const WATCH_RENEW_MS = 30_000;
/** How long a session stays marked as listened to (`listened_until`); the safety check renews it. */
const LISTENED_SECONDS = 30;

/**
 * One LISTEN connection per process for SESSION_LOG_CHANNEL, fanned out by session id, so every
 * reader tails whichever process produces without polling. postgres.js re-listens after reconnects
 * (and then every listener is woken, as notifications may have been missed meanwhile). A change that
 * sends no notification (a claim) or one that was lost is caught by a safety check: one query per
 * process every SAFETY_CHECK_MS for all watched sessions, never one per reader (`ListenerRegistry`).
 *
 * Checkpoint writes notify only sessions marked `listened_until` (lib/db/session-log.ts): the first
 * subscriber of a session in this process marks it before `subscribe` resolves, so before the
 * reader's first read, and the safety check's query renews the mark for every watched session.
 */
export class SessionNotifications {
  readonly #sql: Sql;
  readonly #readers: ListenerRegistry<string, Listener, WatchedSession>;
  readonly #listener: ChannelListener;
  /** Sessions with a held tail in this process, and how many. */
  readonly #held = new Map<string, number>();
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #listening = false;

  constructor(sql: Sql) {
    this.#sql = sql;
    this.#readers = new ListenerRegistry({
      initial: (sessionId) => ({ marked: this.#firstMark(sessionId) }),
      safetyCheck: (ids) => this.#safetyCheck(ids),
      failure: "session safety check failed",
    });
    this.#listener = new ChannelListener(
      sql,
      SESSION_LOG_CHANNEL,
      (payload) => this.#dispatch(payload),
      () => this.#onListen(),
    );
  }

  /** Resolves once the LISTEN is active, so a reader that subscribes first misses nothing after. */
  async subscribe(sessionId: string, listener: Listener): Promise<() => void> {
    await this.#listener.ready();
    const { state, remove } = this.#readers.add(sessionId, listener);
    // Invariant: the mark is committed before the reader's first read, or a checkpoint committing in
    // between would neither be seen by that read nor notify.
    await state.marked;
    return remove;
  }

  /**
   * A session's first subscriber marks it as listened to. A failed mark is logged; the safety check
   * still wakes the reader within SAFETY_CHECK_MS and retries the mark.
   */
  #firstMark(sessionId: string): Promise<void> {
    return this.#markListened([sessionId]).then(
      () => undefined,
      (error: unknown) => logError("could not mark a session as listened to", { sessionId, error }),
    );
  }

  /**
   * A reader's watch on one session (a tailing loop): `reading()` before each read, `next()` after it
   * to wait for a change (at once if one came during the read, or once `signal` aborts).
   */
  async watch(
    sessionId: string,
    signal: AbortSignal,
    options: { watching?: boolean } = {},
  ): Promise<SessionWatch> {
    let pending = true;
    let wake: (() => void) | undefined;
    const unsubscribe = await this.subscribe(sessionId, () => {
      pending = true;
      wake?.();
    });
    const stopWatching = options.watching ? this.#holdWatch(sessionId) : () => {};
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    return {
      reading: () => {
        pending = false;
      },
      next: async () => {
        if (pending || signal.aborted) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      },
      close: () => {
        stopWatching();
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
      },
    };
  }

  /**
   * A held tail is someone watching (issue 19): it renews the session's watch at once, and one
   * statement every WATCH_RENEW_MS renews the watch of every session this process holds a tail of
   * (a watch lasts WATCH_SECONDS, as a visible tab's). A failed renewal is only logged.
   */
  #holdWatch(sessionId: string): () => void {
    this.#held.set(sessionId, (this.#held.get(sessionId) ?? 0) + 1);
    this.#renewWatches([sessionId]);
    this.#renewTimer ??= setInterval(
      () => this.#renewWatches([...this.#held.keys()]),
      WATCH_RENEW_MS,
    ).unref();
    return () => {
      const left = (this.#held.get(sessionId) ?? 1) - 1;
      if (left > 0) this.#held.set(sessionId, left);
      else this.#held.delete(sessionId);
      if (this.#held.size > 0) return;
      clearInterval(this.#renewTimer);
      this.#renewTimer = undefined;
    };
  }

  #renewWatches(sessionIds: string[]): void {
    if (sessionIds.length === 0) return;
    void watchSessions(this.#sql, sessionIds).catch((error: unknown) =>
      logError("could not renew the watch of held tails", { sessions: sessionIds.length, error }),
    );
  }

  /** A reader read the session row as of `updatedAt`; the safety check wakes it only for newer ones. */
  observe(sessionId: string, updatedAt: Date): void {
    const session = this.#readers.state(sessionId);
    if (session) session.seen = Math.max(session.seen ?? 0, updatedAt.getTime());
  }

  #onListen(): void {
    // The first call is the initial LISTEN; later ones follow a reconnect, which may have lost
    // notifications: every reader re-reads once.
    if (this.#listening) this.#wakeAll();
    this.#listening = true;
  }

  #wakeAll(): void {
    for (const sessionId of this.#readers.keys()) {
      for (const listener of this.#readers.listeners(sessionId)) listener({ sessionId, offset: 0 });
    }
  }

  async #safetyCheck(ids: string[]): Promise<void> {
    const rows = await this.#markListened(ids);
    for (const row of rows) {
      const session = this.#readers.state(row.id);
      if (!session) continue;
      const seen = session.seen;
      if (seen !== undefined && row.updated_at.getTime() <= seen) continue;
      session.seen = row.updated_at.getTime();
      if (seen === undefined) continue;
      for (const listener of this.#readers.listeners(row.id)) {
        listener({ sessionId: row.id, offset: row.durable_offset });
      }
    }
  }

  /** Marks the sessions as listened to for LISTENED_SECONDS; returns their current state. */
  #markListened(ids: string[]) {
    return this.#sql<{ id: string; updated_at: Date; durable_offset: number }[]>`
      update sessions set listened_until = now() + make_interval(secs => ${LISTENED_SECONDS})
      where id = any(${this.#sql.array(ids)}::uuid[])
      returning id, updated_at, durable_offset`;
  }

  #dispatch(payload: string): void {
    const parsed = decodeNotify(SESSION_LOG_CHANNEL, payload);
    if (!parsed) return;
    const change: SessionChange = { sessionId: parsed.s, offset: parsed.o, status: parsed.st };
    for (const listener of this.#readers.listeners(parsed.s)) listener(change);
  }
}
