import type { AgentRequest } from "../types.ts";
import { ResponsesFrameMapper } from "./responses-events.ts";
import { bearerJsonHeaders, responsesInput, type Transport } from "./transport.ts";

/**
 * The OpenClaw gateway's `/v1/responses`. Its request schema is strict (any unknown key is a 400),
 * so the body carries only documented fields. No resume: the gateway aborts the run when our
 * connection drops. With a session key (`x-openclaw-session-key`, used verbatim) the gateway keeps
 * the conversation in its own session transcript, so `input` carries only what it has not seen
 * (`newMessagesFrom`: the whole conversation the first time a key is used, then what other agents,
 * the user and cut runs added since, this turn's message, and for a continuation the cut answer
 * and the request to go on).
 */
export const openResponsesTransport: Transport = {
  detachable: false,
  buildRequest(agent, request) {
    const headers = bearerJsonHeaders(agent.token);
    if (request.sessionKey) headers["x-openclaw-session-key"] = request.sessionKey;
    return {
      method: "POST",
      url: `${agent.url}/v1/responses`,
      headers,
      body: JSON.stringify({
        ...responsesInput(agent, request.sessionKey ? unseenMessages(request) : request),
        stream: true,
      }),
    };
  },
  createMapper: () => new ResponsesFrameMapper({ trackCursor: false }),
};

function unseenMessages(request: AgentRequest): AgentRequest {
  return { ...request, messages: request.messages.slice(request.newMessagesFrom ?? 0) };
}
