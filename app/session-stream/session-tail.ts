import {
  decodeSessionEvent,
  SESSION_EVENT_NAMES,
  type SessionStreamEvent,
  WireError,
} from "@/lib/session/wire.ts";
import { streamMeter } from "./stream-meter.ts";

export interface SessionTail {
  close(): void;
}

export interface SessionTailHandlers {
  onEvent(event: SessionStreamEvent): void;
  /** The connection is gone for good (an HTTP error): the browser will not retry it. */
  onLost(): void;
  /** The server sent an event this client cannot decode. */
  onUnreadable(error: WireError): void;
}

/**
 * Follows `GET /api/sessions/:id/stream` with EventSource. Network drops are retried by the browser
 * itself with `Last-Event-ID` (the cursor of the last delta or rewind), so only permanent failures
 * reach `onLost`. Duplicate bytes after a reconnect are the reducer's to drop.
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
        handlers.onLost();
      }
      return;
    }
    streamMeter.event(String(message.data));
    let event: SessionStreamEvent | null;
    try {
      event = decodeSessionEvent(message.type, String(message.data), message.lastEventId || undefined);
    } catch (error) {
      close();
      handlers.onUnreadable(error instanceof WireError ? error : new WireError(String(error)));
      return;
    }
    if (event) handlers.onEvent(event);
  };

  for (const name of SESSION_EVENT_NAMES) source.addEventListener(name, onMessage);
  return { close };
}
