/** The shapes the browser reads from the session API: the server's own contract (`lib/session/wire.ts`). */

export { isTerminal, TERMINAL_STATUS_SET as TERMINAL_STATUSES } from "@/lib/lifecycle.ts";
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
