import { ResponsesFrameMapper } from "./responses-events.ts";
import { bearerJsonHeaders, responsesInput, type Transport } from "./transport.ts";

/**
 * The OpenClaw gateway's `/v1/responses`. Its request schema is strict (any unknown key is a 400),
 * so the body carries only documented fields. No resume: the gateway aborts the run when our
 * connection drops.
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
        ...responsesInput(agent, request),
        stream: true,
      }),
    };
  },
  createMapper: () => new ResponsesFrameMapper({ trackCursor: false }),
};
