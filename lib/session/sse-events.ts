import type { SseWriter } from "../http/sse.ts";
import type { SessionEvent } from "./events.ts";

/** Writes one session event in the wire format of DESIGN §5 (`id:` = byte offset after a delta). */
export function writeSessionEvent(writer: SseWriter, event: SessionEvent): void {
  switch (event.type) {
    case "delta":
      writer.send("delta", { text: event.text }, event.offset);
      return;
    case "session": {
      const { type: _, ...data } = event;
      writer.send("session", data);
      return;
    }
    case "progress": {
      const { type: _, ...data } = event;
      writer.send("progress", data);
      return;
    }
    case "handoff": {
      const { type: _, ...data } = event;
      writer.send("handoff", data);
      return;
    }
    case "done": {
      const { type: _, ...data } = event;
      writer.send("done", data);
      return;
    }
    case "error": {
      const { type: _, ...data } = event;
      writer.send("error", data);
      return;
    }
  }
}

/** Whether an event ends a reader's stream. */
export function isFinalEvent(event: SessionEvent): boolean {
  return event.type === "done" || event.type === "error" || event.type === "handoff";
}
