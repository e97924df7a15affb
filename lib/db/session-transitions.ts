import { notifyObservers } from "../observers.ts";
import type { SessionObserver, SessionTransitions } from "../session/ports.ts";
import type { Sql } from "./client.ts";
import { finishSession, markInterrupted } from "./session-finish.ts";
import {
  bumpExpiredEpoch,
  claimSession,
  claimWaitingSessions,
  fenceOutRunner,
  handOffToBackground,
  releaseLease,
  requestCancel,
} from "./session-lease.ts";
import { startSession } from "./session-start.ts";

export interface PostgresTransitionsOptions {
  sql: Sql;
  /** Told `statusChanged` after each transition that changed the row has committed. */
  observers: readonly SessionObserver[];
  /** The pending lease a session gets when it is handed off, expired or released (LEASE_SECONDS). */
  leaseSeconds: number;
}

/**
 * The lifecycle over Postgres: the only code that writes `sessions.status`. Each method runs its one
 * statement (or transaction; the SQL lives in session-start, session-lease and session-finish), and
 * once it has committed and changed the row, tells every observer. A transition that did not apply
 * (fenced, wrong state) announces nothing.
 */
export function createPostgresTransitions(options: PostgresTransitionsOptions): SessionTransitions {
  const { sql, observers, leaseSeconds } = options;
  const announce = (sessionId: string) =>
    notifyObservers(observers, sessionId, (observer) => observer.statusChanged(sessionId));
  /** Announces `sessionId` when `changed(result)`, and returns the result. */
  const after = async <T>(sessionId: string, result: Promise<T>, changed: (value: T) => boolean) => {
    const value = await result;
    if (changed(value)) announce(sessionId);
    return value;
  };
  const applied = <T>(value: T | null | "fenced" | false) =>
    value !== null && value !== "fenced" && value !== false;
  const claimWaiting: SessionTransitions["claimWaiting"] = async (claimOptions, limit) => {
    const rows = await claimWaitingSessions(sql, claimOptions, limit);
    for (const row of rows) announce(row.id);
    return rows;
  };
  return {
    async start(input) {
      const started = await startSession(sql, input);
      if (typeof started === "object" && "sessionId" in started) announce(started.sessionId);
      return started;
    },
    handOff: (sessionId, epoch) =>
      after(sessionId, handOffToBackground(sql, sessionId, epoch, leaseSeconds), applied),
    async claim(sessionId, claimOptions) {
      return after(sessionId, claimSession(sql, sessionId, claimOptions), applied);
    },
    claimNext: async (claimOptions) => (await claimWaiting(claimOptions, 1))[0] ?? null,
    claimWaiting,
    expire: (sessionId, epoch) =>
      after(sessionId, bumpExpiredEpoch(sql, sessionId, epoch, leaseSeconds), applied),
    release: (sessionId, epoch) =>
      after(sessionId, releaseLease(sql, sessionId, epoch, leaseSeconds), applied),
    fenceOut: (sessionId) => after(sessionId, fenceOutRunner(sql, sessionId), applied),
    requestCancel: (sessionId) => after(sessionId, requestCancel(sql, sessionId), applied),
    interrupt: (sessionId, epoch) => after(sessionId, markInterrupted(sql, sessionId, epoch), applied),
    finish: (input) => after(input.sessionId, finishSession(sql, input), applied),
  };
}
