import type { SseWriter } from "../http/sse.ts";
import type { SessionEvent } from "./events.ts";

/** Writes one session event in the wire format of DESIGN §5 (`id:` = byte offset after a delta). */
export function writeSessionEvent(writer: SseWriter, event: SessionEvent): void {
  if (event.type === "delta") {
    writer.send("delta", { text: event.text }, event.offset);
    return;
  }
  const { type, ...data } = event;
  writer.send(type, data);
}

export { isFinalEvent } from "./events.ts";
