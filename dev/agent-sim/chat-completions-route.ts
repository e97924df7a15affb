import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { acceptSimRequest } from "./accept-request.ts";
import { ChatCompletionsEncoder } from "./chat-completions-encoder.ts";
import { planGeneration } from "./generation.ts";
import { bearerToken, contentText, providerId, SIMULATOR_TOKEN, sendJson } from "./http-io.ts";
import { sendOpenAiError } from "./protocol-errors.ts";
import { describeSchemaError } from "./responses-request.ts";
import { countInputTokens } from "./sim-directives.ts";
import { failureMessage, playWhole, type SimActivity, streamToClient } from "./stream-play.ts";

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
  const accepted = await acceptSimRequest(request, response, {
    authorized: bearerToken(request) === SIMULATOR_TOKEN,
    sendError: sendOpenAiError,
    parse: (raw) => {
      const result = chatRequestSchema.safeParse(raw);
      return result.success ? result.data : describeSchemaError(result.error);
    },
    lastUserText: (parsed) =>
      contentText(parsed.messages.findLast((message) => message.role === "user")?.content),
  });
  if (!accepted) return;
  const { parsed: body, settings } = accepted;

  const inputTokens = countInputTokens(body.messages.map((message) => contentText(message.content)));
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const plan = planGeneration(settings, maxTokens);
  const includeUsage = body.stream_options?.include_usage === true;
  const encoder = new ChatCompletionsEncoder(body.model, inputTokens, includeUsage);
  if (body.stream) {
    await streamToClient(response, encoder, plan, {
      splitUtf8: settings.fault?.kind === "splitutf8",
      activity,
      headers: { "x-request-id": providerId("req") },
    });
    return;
  }
  const abort = new AbortController();
  response.once("close", () => abort.abort());
  const end = await playWhole(encoder, plan, abort.signal);
  if (end === "drop") return void response.socket?.resetAndDestroy();
  if (end === "failed") return sendOpenAiError(response, "server_error", failureMessage(plan));
  if (end === "aborted") return;
  encoder.finish(plan.truncated);
  sendJson(response, 200, encoder.completion());
}
