import type { SseWriter } from "../http/sse.ts";
import { logError } from "../log.ts";
import type { SessionEvent } from "./events.ts";
import { encodeSessionEvent, type SessionStreamEvent } from "./wire.ts";

/** Writes one event in the wire format of DESIGN §5, validated by the contract in `wire.ts`. */
export function writeWireEvent(writer: SseWriter, event: SessionStreamEvent): void {
  const encoded = encodeSessionEvent(event);
  writer.send(encoded.event, encoded.data, encoded.id);
}

/** Writes one runner event; a delta carries `epoch`, the epoch of the producer that made its bytes. */
export function writeSessionEvent(writer: SseWriter, event: SessionEvent, epoch: number): void {
  // Marks and delta ends are the AI SDK stream's (lib/ui-stream); the session stream has no such events.
  if (event.type === "mark") return;
  if (event.type === "delta") {
    const { ends: _ends, ...delta } = event;
    writeWireEvent(writer, { ...delta, epoch });
  } else writeWireEvent(writer, event);
}

/**
 * Relays one live runner event to its SSE reader. An event that does not fit the wire contract (a
 * bug) is answered with an `error` event and "broken": the caller ends this reader's stream. It never
 * throws into the runner that emitted it.
 */
export function relaySessionEvent(
  writer: SseWriter,
  event: SessionEvent,
  epoch: number,
  sessionId: string,
): "sent" | "broken" {
  try {
    writeSessionEvent(writer, event, epoch);
    return "sent";
  } catch (error) {
    logError("a live event does not fit the wire contract", { sessionId, type: event.type, error });
    writer.send("error", { code: "internal:stream", message: "The stream failed on our side." });
    return "broken";
  }
}

export { isFinalEvent } from "./events.ts";
