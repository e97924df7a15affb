import { Agent, fetch } from "undici";
import type { AgentHttpRequest } from "./transports/transport.ts";

let dispatcher: Agent | undefined;

/**
 * The connection pool for agent traffic. Agents may be silent for many minutes during a tool
 * call, so neither headers nor body ever time out here; the caller's AbortSignal and the session
 * budget bound every request instead. Created on first use, never at import time.
 */
function agentDispatcher(): Agent {
  dispatcher ??= new Agent({ bodyTimeout: 0, headersTimeout: 0 });
  return dispatcher;
}

export type AgentResponse = Awaited<ReturnType<typeof fetch>>;

/** Sends one agent request; rejects only when no response arrived (network error, abort). */
export function sendAgentRequest(request: AgentHttpRequest, signal?: AbortSignal): Promise<AgentResponse> {
  return fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(signal ? { signal } : {}),
    dispatcher: agentDispatcher(),
  });
}
