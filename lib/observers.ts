import { logError } from "./log.ts";

/**
 * Calls `notify` on every observer of a session (lib/session/ports.ts `SessionObserver`); one that
 * throws is logged, the others still run. The lifecycle (lib/db) and the runner (lib/session) both
 * tell observers through it.
 */
export function notifyObservers<Observer>(
  observers: readonly Observer[],
  sessionId: string,
  notify: (observer: Observer) => void,
): void {
  for (const observer of observers) {
    try {
      notify(observer);
    } catch (error) {
      logError("session observer failed", { sessionId, error });
    }
  }
}
