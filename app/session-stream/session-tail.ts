import type { StreamDecision } from "./read-event-stream.ts";
import { parseSessionEvent, SESSION_EVENT_NAMES, type SessionStreamEvent } from "./session-events.ts";
import { streamMeter } from "./stream-meter.ts";

export interface SessionTail {
  close(): void;
}

export interface SessionTailHandlers {
  onEvent(event: SessionStreamEvent): StreamDecision;
  /** The connection is gone for good (an HTTP error, or data this client cannot read). */
  onLost(reason: string): void;
}

/**
 * Follows `GET /api/sessions/:id/stream` with EventSource. Network drops are retried by the browser
 * itself with `Last-Event-ID` (the byte offset of the last delta), so only permanent failures reach
 * `onLost`. Duplicate bytes after a reconnect are the caller's to drop (OutputLog does).
 */
export function openSessionTail(url: string, handlers: SessionTailHandlers): SessionTail {
  streamMeter.opened(`GET ${url}`, false);
  const source = new EventSource(url);
  source.addEventListener("open", () => streamMeter.headers());
  let closed = false;
  const close = () => {
    closed = true;
    source.close();
  };

  const onMessage = (message: Event) => {
    if (closed) return;
    if (!(message instanceof MessageEvent)) {
      // A connection error, not the server's `event: error`. CONNECTING means the browser retries.
      if (source.readyState === EventSource.CLOSED) {
        close();
        handlers.onLost("The connection to the session stream was refused.");
      }
      return;
    }
    streamMeter.event(String(message.data));
    let event: SessionStreamEvent | null;
    try {
      event = parseSessionEvent(message.type, String(message.data), message.lastEventId || undefined);
    } catch (error) {
      close();
      handlers.onLost(error instanceof Error ? error.message : "The session stream sent unreadable data.");
      return;
    }
    if (event && handlers.onEvent(event) === "stop") close();
  };

  for (const name of SESSION_EVENT_NAMES) source.addEventListener(name, onMessage);
  return { close };
}
