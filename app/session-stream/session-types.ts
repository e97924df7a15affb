/** The shapes the browser reads from the session API (DESIGN §4, §5). */

import type { RunnerKind, SessionMode, SessionStatus } from "@/lib/db/sessions.ts";

// Type-only: the server's definitions, so the two sides cannot drift apart.
export type { RunnerKind, SessionMode, SessionStatus } from "@/lib/db/sessions.ts";

export const TERMINAL_STATUSES: ReadonlySet<SessionStatus> = new Set(["completed", "failed", "cancelled"]);

export function isTerminal(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export interface SessionProgress {
  stage: string | null;
  outputTokens: number;
  elapsedMs: number;
  /** Credits the running agent run has used so far (metered while it runs). */
  credits?: number | null;
}

export interface SessionUsage {
  inputTokens: number;
  outputTokens: number;
  /** The agent reported no usage for some run: these counts are estimated from the text. */
  estimated?: boolean;
}

export interface SessionError {
  code: string;
  message: string;
}

/** `GET /api/sessions/:id`. */
export interface SessionSnapshot {
  id: string;
  conversationId: string;
  agent: string;
  status: SessionStatus;
  mode: SessionMode;
  runner: RunnerKind | null;
  output: string;
  offset: number;
  progress: SessionProgress | null;
  usage: SessionUsage | null;
  costUsd: number | null;
  error: SessionError | null;
  seams: number[];
  prompt: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/conversations/:id`. */
export interface ConversationMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  sessionId: string | null;
  createdAt: string;
}

export interface Conversation {
  id: string;
  title: string;
  messages: ConversationMessage[];
}

/** `GET /api/agents`. */
export interface AgentOption {
  name: string;
  transport: string;
  model: string;
  detachable: boolean;
}

/** `POST /api/chat` answered 202: the session runs in the background from its first byte. */
export interface BackgroundAcceptance {
  sessionId: string;
  conversationId: string;
  status: "background";
  streamUrl: string;
}

export interface ChatRequest {
  message: string;
  conversationId?: string;
  agent?: string;
  mode?: SessionMode;
  /** Stop the session when its cost reaches this many credits. */
  maxCredits?: number;
}
