import { logError } from "../log.ts";
import type { SessionEvent } from "../session/events.ts";
import type { StartedChat } from "../session/start-chat.ts";
import { createUiMessageStream, type UiChunkWriter } from "./response.ts";
import { cutAtByteEnds, type UiChunk, UiChunkSequencer, type UiMessageMeta } from "./sequence.ts";

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

/**
 * One runner event as chunks. Progress events are not in the numbered sequence; the marks the runner
 * recorded in the log are (see `sequence.ts`), and held deltas that went out joined are cut where
 * each ended, as a replay cuts them.
 */
function relay(writer: UiChunkWriter, sequencer: UiChunkSequencer, event: SessionEvent, epoch: number): void {
  if (writer.closed) return;
  for (const chunk of liveChunks(sequencer, event, epoch)) writer.write(chunk);
  // `handoff` ends the response without `finish`: the rest comes from the log on the reconnect.
  if (event.type === "done" || event.type === "error" || event.type === "handoff") writer.done();
}

/** The chunks of one live runner event of the producer of `epoch`. */
export function liveChunks(sequencer: UiChunkSequencer, event: SessionEvent, epoch: number): UiChunk[] {
  switch (event.type) {
    case "delta": {
      const chunks: UiChunk[] = [];
      const ends = event.ends ?? [event.offset];
      const pieces = cutAtByteEnds(event.text, event.offset - Buffer.byteLength(event.text), ends);
      for (let i = 0; i < ends.length; i++) chunks.push(...sequencer.delta(pieces[i]!, epoch, ends[i]!));
      return chunks;
    }
    case "mark":
      return sequencer.mark(event.mark, epoch);
    case "done":
      return sequencer.finish({ status: "completed", usage: event.usage, costUsd: event.costUsd });
    case "error":
      return sequencer.finish({ status: event.code === "cancelled" ? "cancelled" : "failed", error: event });
    default:
      return [];
  }
}
