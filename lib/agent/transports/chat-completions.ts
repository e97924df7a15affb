import { ChatCompletionsFrameMapper } from "./chat-completions-events.ts";
import { bearerJsonHeaders, type Transport } from "./transport.ts";

/** OpenAI-compatible chat completions; usage only arrives when `include_usage` asks for it. */
export const chatCompletionsTransport: Transport = {
  detachable: false,
  buildRequest(agent, request) {
    const messages = [
      ...(request.system ? [{ role: "system", content: request.system }] : []),
      ...request.messages.map((message) => ({ role: message.role, content: message.content })),
    ];
    return {
      method: "POST",
      url: `${agent.url}/chat/completions`,
      headers: bearerJsonHeaders(agent.token),
      body: JSON.stringify({
        model: agent.model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    };
  },
  createMapper: () => new ChatCompletionsFrameMapper(),
};
