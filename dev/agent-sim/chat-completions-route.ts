import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { ChatCompletionsEncoder } from "./chat-completions-encoder.ts";
import { planGeneration } from "./generation.ts";
import {
  BodyError,
  bearerToken,
  contentText,
  providerId,
  readJsonBody,
  SIMULATOR_TOKEN,
  sendJson,
} from "./http-io.ts";
import { sendOpenAiError } from "./protocol-errors.ts";
import { describeSchemaError } from "./responses-request.ts";
import { countInputTokens, parseSimSettings, SimDirectiveError, type SimSettings } from "./sim-directives.ts";
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
  if (bearerToken(request) !== SIMULATOR_TOKEN) return sendOpenAiError(response, "unauthorized");
  let body: z.infer<typeof chatRequestSchema>;
  let settings: SimSettings;
  try {
    const result = chatRequestSchema.safeParse(await readJsonBody(request));
    if (!result.success)
      return sendOpenAiError(response, "invalid_request", describeSchemaError(result.error));
    body = result.data;
    const lastUser = body.messages.findLast((message) => message.role === "user");
    settings = parseSimSettings(contentText(lastUser?.content));
  } catch (error) {
    if (error instanceof BodyError || error instanceof SimDirectiveError) {
      return sendOpenAiError(response, "invalid_request", error.message);
    }
    throw error;
  }
  if (settings.fault?.kind === "http500") return sendOpenAiError(response, "server_error");
  if (settings.fault?.kind === "http429") return sendOpenAiError(response, "rate_limited");

  const inputTokens = countInputTokens(body.messages.map((message) => contentText(message.content)));
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const plan = planGeneration(settings, maxTokens);
  const includeUsage = body.stream_options?.include_usage === true;
  const encoder = new ChatCompletionsEncoder(body.model, inputTokens, includeUsage);
  if (body.stream) {
    return streamToClient(response, encoder, plan, {
      splitUtf8: settings.fault?.kind === "splitutf8",
      activity,
      headers: { "x-request-id": providerId("req") },
    });
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
