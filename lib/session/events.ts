/** What readers of a session see, in the order it happened (the SSE events of DESIGN §5). */
export type SessionEvent =
  | { type: "session"; sessionId: string; conversationId: string; status: string; offset: number }
  | { type: "delta"; text: string; offset: number }
  /** `credits`: what the session's running agent run has used so far (metered while it runs). */
  | { type: "progress"; stage: string; outputTokens: number; elapsedMs: number; credits?: number }
  | { type: "handoff"; status: "background"; offset: number }
  | {
      type: "done";
      status: string;
      offset: number;
      /** Totals over the session's runs; `estimated` when any run's usage was estimated. */
      usage: { inputTokens: number; outputTokens: number; estimated?: boolean } | null;
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

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SessionEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
