/** What readers of a session see, in the order it happened (the SSE events of DESIGN §5). */
export type SessionEvent =
  | { type: "session"; sessionId: string; conversationId: string; status: string; offset: number }
  | { type: "delta"; text: string; offset: number }
  | { type: "progress"; stage: string; outputTokens: number; elapsedMs: number }
  | { type: "handoff"; status: "background"; offset: number }
  | {
      type: "done";
      status: string;
      offset: number;
      usage: { inputTokens: number; outputTokens: number } | null;
      costUsd: number | null;
    }
  | { type: "error"; code: string; message: string; offset?: number };

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
