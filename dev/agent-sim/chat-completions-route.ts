import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { acceptMessagesRequest } from "./accept-request.ts";
import { ChatCompletionsEncoder } from "./chat-completions-encoder.ts";
import { planGeneration } from "./generation.ts";
import { bearerToken, contentText, SIMULATOR_TOKEN } from "./http-io.ts";
import { sendOpenAiError } from "./protocol-errors.ts";
import { countInputTokens } from "./sim-directives.ts";
import { type AnswerProtocol, answerPlan, type SimActivity } from "./stream-play.ts";

const chatRequestSchema = z.looseObject({
  model: z.string(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});

/** `POST /openai/v1/chat/completions`: OpenAI-compatible chat completions, streamed or whole. */
export async function handleChatCompletions(
  request: IncomingMessage,
  response: ServerResponse,
  activity: SimActivity,
): Promise<void> {
  const accepted = await acceptMessagesRequest(request, response, {
    authorized: bearerToken(request) === SIMULATOR_TOKEN,
    sendError: sendOpenAiError,
    schema: chatRequestSchema,
  });
  if (!accepted) return;
  const { parsed: body, settings } = accepted;

  const inputTokens = countInputTokens(body.messages.map((message) => contentText(message.content)));
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const plan = planGeneration(settings, maxTokens);
  const includeUsage = body.stream_options?.include_usage === true;
  const encoder = new ChatCompletionsEncoder(body.model, inputTokens, includeUsage);
  await answerPlan(
    response,
    encoder,
    plan,
    { stream: body.stream === true, settings, activity },
    CHAT_COMPLETIONS,
  );
}

/** How this protocol answers: its error body, its request-id header, its non-streamed body. */
const CHAT_COMPLETIONS: AnswerProtocol<ChatCompletionsEncoder> = {
  sendError: sendOpenAiError,
  requestIdHeader: "x-request-id",
  whole: (encoder) => encoder.completion(),
};
