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

export type { SessionObserver } from "../session/ports.ts";
