import { logError } from "../log.ts";
import type { SessionObserver } from "./ports.ts";

/** Calls `notify` on every observer; one that throws is logged, the others still run. */
export function notifyObservers(
  observers: readonly SessionObserver[],
  sessionId: string,
  notify: (observer: SessionObserver) => void,
): void {
  for (const observer of observers) {
    try {
      notify(observer);
    } catch (error) {
      logError("session observer failed", { sessionId, error });
    }
  }
}

/** Tells every observer that a transition committed on the session. */
export function announceStatusChange(observers: readonly SessionObserver[], sessionId: string): void {
  notifyObservers(observers, sessionId, (observer) => observer.statusChanged(sessionId));
}
