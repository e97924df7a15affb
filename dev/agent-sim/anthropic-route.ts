import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { acceptMessagesRequest } from "./accept-request.ts";
import { AnthropicEncoder } from "./anthropic-encoder.ts";
import { planGeneration } from "./generation.ts";
import { bearerToken, contentText, SIMULATOR_TOKEN } from "./http-io.ts";
import { sendAnthropicError } from "./protocol-errors.ts";
import { countInputTokens } from "./sim-directives.ts";
import { type AnswerProtocol, answerPlan, type SimActivity } from "./stream-play.ts";

const messagesRequestSchema = z.looseObject({
  model: z.string(),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(["user", "assistant"]), content: z.unknown() })).min(1),
  system: z.union([z.string(), z.array(z.looseObject({ text: z.string() }))]).optional(),
  stream: z.boolean().optional(),
});

/** `POST /anthropic/v1/messages`: the Anthropic Messages API (`x-api-key`, `anthropic-version`). */
export async function handleAnthropicMessages(
  request: IncomingMessage,
  response: ServerResponse,
  activity: SimActivity,
): Promise<void> {
  const apiKey = request.headers["x-api-key"] ?? bearerToken(request);
  if (apiKey === SIMULATOR_TOKEN && !request.headers["anthropic-version"]) {
    return sendAnthropicError(response, "invalid_request", "anthropic-version: header is required");
  }
  const accepted = await acceptMessagesRequest(request, response, {
    authorized: apiKey === SIMULATOR_TOKEN,
    sendError: sendAnthropicError,
    schema: messagesRequestSchema,
  });
  if (!accepted) return;
  const { parsed: body, settings } = accepted;

  const texts = body.messages.map((message) => contentText(message.content));
  if (body.system) texts.push(contentText(body.system));
  const plan = planGeneration(settings, body.max_tokens);
  const encoder = new AnthropicEncoder(body.model, countInputTokens(texts));
  await answerPlan(response, encoder, plan, { stream: body.stream === true, settings, activity }, ANTHROPIC);
}

/** How this protocol answers: its error body, its request-id header, its non-streamed body. */
const ANTHROPIC: AnswerProtocol<AnthropicEncoder> = {
  sendError: sendAnthropicError,
  requestIdHeader: "request-id",
  whole: (encoder) => encoder.message(),
};
