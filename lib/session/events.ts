import type { LogMark } from "./ports.ts";
import type { SessionStreamEvent } from "./wire.ts";

/**
 * What a running session's live subscribers see, in the order it happened (the SSE events of
 * DESIGN §5, `wire.ts`). A delta carries the offset after it (and, joining several held deltas, where
 * each ended); the writer adds its epoch.
 */
export type SessionEvent =
  | Exclude<SessionStreamEvent, { type: "delta" | "rewind" | "session" | "status" }>
  | { type: "delta"; text: string; offset: number; ends?: number[] }
  /** A tool call, runner or progress mark at its place among the deltas (the AI SDK stream's chunks). */
  | { type: "mark"; mark: LogMark };

export type SessionListener = (event: SessionEvent) => void;

/**
 * In-process fan-out of one running session's events to its live subscribers (the POST /api/chat
 * response). A subscriber leaving never affects the runner.
 */
export class SessionFeed {
  #listeners = new Set<SessionListener>();
  #ended = false;

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether a final event (`done`, `error`, `handoff`) went out; nothing is sent after it. */
  get ended(): boolean {
    return this.#ended;
  }

  emit(event: SessionEvent): void {
    if (this.#ended) return;
    if (isFinalEvent(event)) this.#ended = true;
    for (const listener of this.#listeners) listener(event);
  }
}

/** Whether an event ends a reader's stream. */
export function isFinalEvent(event: SessionEvent): boolean {
  return event.type === "done" || event.type === "error" || event.type === "handoff";
}
