import { AnthropicFrameMapper } from "./anthropic-events.ts";
import type { Transport } from "./transport.ts";

/** The Messages API version whose stream format we parse. */
const ANTHROPIC_VERSION = "2023-06-01";

/**
 * `max_tokens` is mandatory in the Messages API. Long agent sessions are the point of this
 * product, so it is generous; the model's own limit still applies.
 */
const MAX_OUTPUT_TOKENS = 32_000;

export const anthropicTransport: Transport = {
  detachable: false,
  buildRequest(agent, request) {
    return {
      method: "POST",
      url: `${agent.url}/v1/messages`,
      headers: {
        "x-api-key": agent.token,
        "anthropic-version": ANTHROPIC_VERSION,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({
        model: agent.model,
        max_tokens: MAX_OUTPUT_TOKENS,
        ...(request.system ? { system: request.system } : {}),
        messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
        stream: true,
      }),
    };
  },
  createMapper: () => new AnthropicFrameMapper(),
};
