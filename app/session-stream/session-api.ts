import { agentListSchema, conversationSchema, sessionSnapshotSchema } from "@/lib/session/wire.ts";
import { fetchWire } from "./api-client.ts";
import type { AgentOption, Conversation, SessionSnapshot } from "./session-types.ts";

export { ApiError, readApiError } from "./api-client.ts";

export function fetchSessionSnapshot(sessionId: string, signal?: AbortSignal): Promise<SessionSnapshot> {
  return fetchWire(`/api/sessions/${encodeURIComponent(sessionId)}`, sessionSnapshotSchema, { signal });
}

export function fetchConversation(conversationId: string, signal?: AbortSignal): Promise<Conversation> {
  return fetchWire(`/api/conversations/${encodeURIComponent(conversationId)}`, conversationSchema, {
    signal,
  });
}

export function fetchAgents(signal?: AbortSignal): Promise<AgentOption[]> {
  return fetchWire("/api/agents", agentListSchema, { signal });
}
