import type { SessionStreamEvent } from "./wire.ts";

/**
 * What a running session's live subscribers see, in the order it happened (the SSE events of
 * DESIGN §5, `wire.ts`). A delta carries the offset after it; the writer adds its generation.
 */
export type SessionEvent =
  | Exclude<SessionStreamEvent, { type: "delta" | "rewind" | "session" | "status" }>
  | { type: "delta"; text: string; offset: number };

export type SessionListener = (event: SessionEvent) => void;

/**
 * In-process fan-out of one running session's events to its live subscribers (the POST /api/chat
 * response). A subscriber leaving never affects the runner.
 */
export class SessionFeed {
  #listeners = new Set<SessionListener>();

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SessionEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
