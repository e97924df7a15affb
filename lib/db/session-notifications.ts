import type { Sql } from "./client.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";

/** A change to a session's log: the new durable offset and, on status changes, the status. */
export interface SessionChange {
  sessionId: string;
  offset: number;
  status?: string;
}

type Listener = (change: SessionChange) => void;

/**
 * One LISTEN connection per process for SESSION_LOG_CHANNEL, fanned out by session id, so every
 * reader tails whichever process produces without polling. postgres.js re-listens after reconnects.
 */
export class SessionNotifications {
  readonly #sql: Sql;
  readonly #listeners = new Map<string, Set<Listener>>();
  #ready: Promise<unknown> | undefined;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Resolves once the LISTEN is active, so a reader that subscribes first misses nothing after. */
  async subscribe(sessionId: string, listener: Listener): Promise<() => void> {
    this.#ready ??= this.#sql.listen(SESSION_LOG_CHANNEL, (payload) => this.#dispatch(payload));
    await this.#ready;
    let set = this.#listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.#listeners.set(sessionId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(sessionId);
    };
  }

  #dispatch(payload: string): void {
    let parsed: { s?: unknown; o?: unknown; st?: unknown };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof parsed.s !== "string") return;
    const listeners = this.#listeners.get(parsed.s);
    if (!listeners) return;
    const change: SessionChange = {
      sessionId: parsed.s,
      offset: Number(parsed.o ?? 0),
      status: typeof parsed.st === "string" ? parsed.st : undefined,
    };
    for (const listener of listeners) listener(change);
  }
}

const globalForNotifications = globalThis as unknown as {
  overtimeSessionNotifications?: SessionNotifications;
};

/** The process-wide hub on the process-wide pool. */
export function getSessionNotifications(sql: Sql): SessionNotifications {
  globalForNotifications.overtimeSessionNotifications ??= new SessionNotifications(sql);
  return globalForNotifications.overtimeSessionNotifications;
}
