import { createSseStream } from "../http/sse.ts";
import { logError } from "../log.ts";
import { relaySessionEvent, writeWireEvent } from "./sse-events.ts";
import type { StartedChat } from "./start-chat.ts";

/**
 * The live SSE response of POST /api/chat: `session` first, then the runner's events. The stream
 * ends at the runner's final event, at an event that does not fit the wire, or once the runner is
 * done (with an `error` event if it never sent one); the SSE helper closes it then. `run` is the
 * runner, for `after()`.
 */
export function streamLiveChat(
  started: Extract<StartedChat, { kind: "live" }>,
  signal: AbortSignal,
  /** The client went away before the end (it is then notified when the session ends, DESIGN §7). */
  onClientLeft: () => void = () => {},
): { body: ReadableStream<Uint8Array>; run: Promise<void> } {
  let run!: Promise<void>;
  let unsubscribe = () => {};
  const body = createSseStream(
    (writer) =>
      new Promise<void>((streamEnded) => {
        writeWireEvent(writer, {
          type: "session",
          sessionId: started.sessionId,
          conversationId: started.conversationId,
          status: "live",
          runner: "live",
          offset: 0,
          seams: [],
        });
        unsubscribe = started.feed.subscribe((event) => {
          const sent = relaySessionEvent(writer, event, started.epoch, started.sessionId);
          if (sent === "broken" || started.feed.ended) {
            unsubscribe();
            streamEnded();
          }
        });
        run = started
          .run()
          .catch((error: unknown) => logError("live runner threw", { sessionId: started.sessionId, error }))
          .finally(() => {
            if (!started.feed.ended) {
              started.feed.emit({
                type: "error",
                code: "internal",
                message: "The session failed on our side.",
              });
            }
            streamEnded();
          });
      }),
    {
      signal,
      onClose: () => {
        unsubscribe();
        if (!started.feed.ended) onClientLeft();
      },
    },
  );
  return { body, run };
}
