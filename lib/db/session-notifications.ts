import { logError } from "../log.ts";
import type { Sql } from "./client.ts";
import { ChannelListener } from "./listen.ts";
import { ListenerRegistry } from "./listener-registry.ts";
import { decodeNotify } from "./notify-payloads.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";

/** A change to a session's log: the new durable offset and, on status changes, the status. */
export interface SessionChange {
  sessionId: string;
  offset: number;
  status?: string;
}

type Listener = (change: SessionChange) => void;

/** See `SessionNotifications.watch`. */
export interface SessionWatch {
  reading(): void;
  next(): Promise<void>;
  close(): void;
}

/**
 * One LISTEN connection per process for SESSION_LOG_CHANNEL, fanned out by session id, so every
 * reader tails whichever process produces without polling. postgres.js re-listens after reconnects
 * (and then every listener is woken, as notifications may have been missed meanwhile). A change that
 * sends no notification (a claim) or one that was lost is caught by a safety check: one query per
 * process every SAFETY_CHECK_MS for all watched sessions, never one per reader.
 */
export class SessionNotifications {
  readonly #sql: Sql;
  readonly #listeners = new ListenerRegistry<string, Listener, number>(() => void this.#safetyCheck());
  readonly #listener: ChannelListener;
  #checking = false;
  #listening = false;

  constructor(sql: Sql) {
    this.#sql = sql;
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
    return this.#listeners.add(sessionId, listener);
  }

  /**
   * A reader's watch on one session (a tailing loop): `reading()` before each read, `next()` after it
   * to wait for a change (at once if one came during the read, or once `signal` aborts).
   */
  async watch(sessionId: string, signal: AbortSignal): Promise<SessionWatch> {
    let pending = true;
    let wake: (() => void) | undefined;
    const unsubscribe = await this.subscribe(sessionId, () => {
      pending = true;
      wake?.();
    });
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
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
      },
    };
  }

  /** A reader read the session row as of `updatedAt`; the safety check wakes it only for newer ones. */
  observe(sessionId: string, updatedAt: Date): void {
    if (!this.#listeners.has(sessionId)) return;
    this.#listeners.see(sessionId, Math.max(this.#listeners.seen(sessionId) ?? 0, updatedAt.getTime()));
  }

  #onListen(): void {
    // The first call is the initial LISTEN; later ones follow a reconnect, which may have lost
    // notifications: every reader re-reads once.
    if (this.#listening) this.#wakeAll();
    this.#listening = true;
  }

  #wakeAll(): void {
    for (const sessionId of this.#listeners.keys()) {
      for (const listener of this.#listeners.of(sessionId)) listener({ sessionId, offset: 0 });
    }
  }

  async #safetyCheck(): Promise<void> {
    const ids = this.#listeners.keys();
    if (this.#checking || ids.length === 0) return;
    this.#checking = true;
    try {
      const rows = await this.#sql<{ id: string; updated_at: Date; durable_offset: number }[]>`
        select id, updated_at, durable_offset from sessions where id = any(${this.#sql.array(ids)}::uuid[])`;
      for (const row of rows) {
        const seen = this.#listeners.seen(row.id);
        if (seen !== undefined && row.updated_at.getTime() <= seen) continue;
        this.#listeners.see(row.id, row.updated_at.getTime());
        if (seen === undefined) continue;
        for (const listener of this.#listeners.of(row.id)) {
          listener({ sessionId: row.id, offset: row.durable_offset });
        }
      }
    } catch (error) {
      logError("session safety check failed", { sessions: ids.length, error });
    } finally {
      this.#checking = false;
    }
  }

  #dispatch(payload: string): void {
    const parsed = decodeNotify(SESSION_LOG_CHANNEL, payload);
    if (!parsed) return;
    if (!this.#listeners.has(parsed.s)) return;
    const change: SessionChange = { sessionId: parsed.s, offset: parsed.o, status: parsed.st };
    for (const listener of this.#listeners.of(parsed.s)) listener(change);
  }
}
