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

/** Whether an event ends a reader's stream. */
export function isFinalEvent(event: SessionEvent): boolean {
  return event.type === "done" || event.type === "error" || event.type === "handoff";
}
