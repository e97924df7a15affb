import { logError } from "../log.ts";
import type { SessionEvent } from "../session/events.ts";
import type { StartedChat } from "../session/start-chat.ts";
import { createUiMessageStream, type UiChunkWriter } from "./response.ts";
import { UiChunkSequencer, type UiMessageMeta } from "./sequence.ts";

type LiveChat = Extract<StartedChat, { kind: "live" }>;

/**
 * The live `POST /api/chat` response in the AI SDK's UI message stream: the same chunks, numbered the
 * same, as a replay of the session's log will hold (see `sequence.ts`): `start`, one `text-delta` per
 * runner delta, and the terminal chunks. At a handoff it ends without `finish`, so the AI SDK reader
 * reconnects (`GET /api/chat/{id}/stream?startIndex=N`) and reads the rest from the log.
 */
export function streamLiveUiChat(
  started: LiveChat,
  meta: UiMessageMeta,
  options: { signal: AbortSignal; withState?: boolean; onClientLeft?: () => void },
): { body: ReadableStream<Uint8Array>; run: Promise<void> } {
  const { signal, onClientLeft = () => {} } = options;
  let run!: Promise<void>;
  let unsubscribe = () => {};
  const sequencer = new UiChunkSequencer(meta);
  const body = createUiMessageStream(
    (writer) => {
      for (const chunk of sequencer.start()) writer.write(chunk);
      writer.state({ status: "live", runner: "live", seams: [] });
      unsubscribe = started.feed.subscribe((event) => relay(writer, sequencer, event, started.epoch));
      run = started
        .run()
        .catch((error: unknown) => logError("live runner threw", { sessionId: started.sessionId, error }))
        .finally(() => {
          // The runner always ends its feed; if it somehow did not, the reader reconnects by index.
          if (!writer.closed) writer.done();
        });
    },
    {
      signal,
      withState: options.withState,
      context: { sessionId: started.sessionId },
      onClose: () => {
        unsubscribe();
        if (!started.feed.ended) onClientLeft();
      },
    },
  );
  return { body, run };
}

/** One runner event as chunks; progress is not in the numbered sequence (see `sequence.ts`). */
function relay(writer: UiChunkWriter, sequencer: UiChunkSequencer, event: SessionEvent, epoch: number): void {
  if (writer.closed) return;
  switch (event.type) {
    case "delta":
      for (const chunk of sequencer.delta(event.text, epoch, event.offset)) writer.write(chunk);
      return;
    case "done":
      for (const chunk of sequencer.finish({
        status: "completed",
        usage: event.usage,
        costUsd: event.costUsd,
      }))
        writer.write(chunk);
      writer.done();
      return;
    case "error": {
      const status = event.code === "cancelled" ? "cancelled" : "failed";
      for (const chunk of sequencer.finish({ status, error: event })) writer.write(chunk);
      writer.done();
      return;
    }
    case "handoff":
      // No `finish`: the rest (and the step's end) comes from the log on the reader's reconnect.
      writer.done();
      return;
    default:
      return;
  }
}
