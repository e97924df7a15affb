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

/**
 * The fields every Responses-style request carries (OpenClaw and OpenAI): model, the conversation
 * as input messages, and the system prompt as `instructions`. Each transport adds its own flags.
 */
export function responsesInput(agent: AgentConfig, request: AgentRequest): Record<string, unknown> {
  return {
    model: agent.model,
    input: request.messages.map((message) => ({
      type: "message",
      role: message.role,
      content: message.content,
    })),
    ...(request.system ? { instructions: request.system } : {}),
  };
}
