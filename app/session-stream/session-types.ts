/** The shapes the browser reads from the session API: the server's own contract (`lib/session/wire.ts`). */

import type { SessionStatus } from "@/lib/session/wire.ts";

export type {
  AgentOption,
  BackgroundAcceptance,
  ChatRequest,
  Conversation,
  RunnerKind,
  SessionMode,
  SessionProgress,
  SessionSnapshot,
  SessionStatus,
  SessionUsage,
} from "@/lib/session/wire.ts";

export const TERMINAL_STATUSES: ReadonlySet<SessionStatus> = new Set(["completed", "failed", "cancelled"]);

export function isTerminal(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}
