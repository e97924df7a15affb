/** The shapes the browser reads from the session API: the server's own contract (`lib/session/wire.ts`). */

import type { SubscribeToTopic } from "./realtime-topic.ts";

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

/** What a `SessionFollower` tells the page that follows it, and how it follows Realtime. */
export interface SessionFollowerHooks {
  /** The server created the session: the page URL should name it so a reload resumes it. */
  onSessionCreated(sessionId: string): void;
  /** The cookie session expired. */
  onUnauthorized(): void;
  /**
   * Realtime (`session:<id>`). When given, every view that is not the live POST answer follows the
   * session over it and reads the log only once per gap (`?follow=0`); without it, the stream tail.
   */
  subscribe?: SubscribeToTopic;
}
