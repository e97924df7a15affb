import { createSseStream } from "../http/sse.ts";
import { logError } from "../log.ts";
import { relaySessionEvent, writeWireEvent } from "./sse-events.ts";
import type { StartedChat } from "./start-chat.ts";

/**
 * The live SSE response of POST /api/chat: `session` first, then the runner's events. The stream
 * ends at the runner's final event and, whatever happens, in `finally` once the runner is done
 * (with an `error` event if it never sent one). `run` is the runner, for `after()`.
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
    (writer) => {
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
        if (relaySessionEvent(writer, event, started.epoch, started.sessionId) === "broken") unsubscribe();
        else if (started.feed.ended) writer.close();
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
          writer.close();
        });
    },
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
