/** The live state of a session as `status` and `session` messages carry it. */
export interface SessionState {
  id: string;
  userId: string;
  status: string;
  runner: string | null;
  offset: number;
  seams: number[];
  title: string;
  agent: string;
  updatedAt: string;
}

export interface SessionProgress {
  stage: string;
  outputTokens: number;
  elapsedMs: number;
  /** Credits metered so far (cost so far). */
  credits?: number;
  /** True while the agent has not reported usage: `outputTokens` is an estimate. */
  estimated?: boolean;
}

/**
 * What a runner tells the outside world, after the fact and without waiting: each durable append,
 * each progress update, each committed status change. Implementations must never throw, block or
 * slow the caller (the Realtime broadcaster queues and drops to a bounded state).
 */
export interface SessionObserver {
  appended(append: { sessionId: string; from: number; to: number; text: string }): void;
  progress(sessionId: string, progress: SessionProgress): void;
  /** The row changed status (created, live, background, interrupted, ended): re-read and announce it. */
  statusChanged(sessionId: string): void;
}
