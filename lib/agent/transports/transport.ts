import type { FrameMapper } from "../frame-mapper.ts";
import type { AgentConfig, AgentCursor, AgentRequest } from "../types.ts";

export interface AgentHttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What makes one wire protocol: how to ask for a stream and how to read it. */
export interface Transport {
  /** Whether the run outlives our connection and can be re-attached at a cursor. */
  readonly detachable: boolean;
  buildRequest(agent: AgentConfig, request: AgentRequest, cursor?: AgentCursor): AgentHttpRequest;
  createMapper(cursor?: AgentCursor): FrameMapper;
}

export function bearerJsonHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "text/event-stream",
  };
}
