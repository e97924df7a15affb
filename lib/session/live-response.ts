import { createSseStream } from "../http/sse.ts";
import { logError } from "../log.ts";
import { writeSessionEvent } from "./sse-events.ts";
import type { StartedChat } from "./start-chat.ts";

/**
 * The live SSE response of POST /api/chat: `session` first, then the runner's events. The stream
 * ends at the runner's final event and, whatever happens, in `finally` once the runner is done
 * (with an `error` event if it never sent one). `run` is the runner, for `after()`.
 */
export function streamLiveChat(
  started: Extract<StartedChat, { kind: "live" }>,
  signal: AbortSignal,
): { body: ReadableStream<Uint8Array>; run: Promise<void> } {
  let run!: Promise<void>;
  let unsubscribe = () => {};
  const body = createSseStream(
    (writer) => {
      writer.send("session", {
        sessionId: started.sessionId,
        conversationId: started.conversationId,
        status: "live",
        offset: 0,
      });
      unsubscribe = started.feed.subscribe((event) => {
        writeSessionEvent(writer, event);
        if (started.feed.ended) writer.close();
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
    { signal, onClose: () => unsubscribe() },
  );
  return { body, run };
}
