import { ResponsesFrameMapper } from "./responses-events.ts";
import { bearerJsonHeaders, responsesInput, type Transport } from "./transport.ts";

/**
 * OpenAI Responses in background mode: the run lives at the provider, every event has a
 * `sequence_number`, and a dropped stream is re-attached with `starting_after`. `store: true`
 * because background responses must be stored to be retrievable.
 */
export const openAiBackgroundTransport: Transport = {
  detachable: true,
  buildRequest(agent, request, cursor) {
    const headers = bearerJsonHeaders(agent.token);
    if (cursor) {
      const query = `stream=true&starting_after=${cursor.sequenceNumber}`;
      return {
        method: "GET",
        url: `${agent.url}/responses/${encodeURIComponent(cursor.responseId)}?${query}`,
        headers,
      };
    }
    return {
      method: "POST",
      url: `${agent.url}/responses`,
      headers,
      body: JSON.stringify({
        ...responsesInput(agent, request),
        background: true,
        stream: true,
        store: true,
      }),
    };
  },
  createMapper: (cursor) =>
    new ResponsesFrameMapper(cursor ? { trackCursor: true, cursor } : { trackCursor: true }),
};
