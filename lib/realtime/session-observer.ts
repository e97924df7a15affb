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

export type { SessionObserver } from "../session/ports.ts";
/** Progress as every reader gets it: the wire's one shape (`stage` null until the agent names one). */
export type { SessionProgress } from "../session/wire.ts";
