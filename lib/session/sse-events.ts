import type { SseWriter } from "../http/sse.ts";
import type { SessionEvent } from "./events.ts";
import { encodeSessionEvent, type SessionStreamEvent } from "./wire.ts";

/** Writes one event in the wire format of DESIGN §5, validated by the contract in `wire.ts`. */
export function writeWireEvent(writer: SseWriter, event: SessionStreamEvent): void {
  const encoded = encodeSessionEvent(event);
  writer.send(encoded.event, encoded.data, encoded.id);
}

/**
 * Writes one runner event; a delta's `id:` is the cursor `<generation>:<offset>` where
 * `generation` is the epoch of the producer that made its bytes.
 */
export function writeSessionEvent(writer: SseWriter, event: SessionEvent, generation: number): void {
  writeWireEvent(writer, event.type === "delta" ? { ...event, generation } : event);
}

/** Whether an event ends a reader's stream. */
export function isFinalEvent(event: SessionEvent): boolean {
  return event.type === "done" || event.type === "error" || event.type === "handoff";
}
