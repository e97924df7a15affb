import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { AnthropicEncoder } from "./anthropic-encoder.ts";
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
import { sendAnthropicError } from "./protocol-errors.ts";
import { describeSchemaError } from "./responses-request.ts";
import { countInputTokens, parseSimSettings, SimDirectiveError, type SimSettings } from "./sim-directives.ts";
import { failureMessage, playWhole, type SimActivity, streamToClient } from "./stream-play.ts";

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
  if (apiKey !== SIMULATOR_TOKEN) return sendAnthropicError(response, "unauthorized");
  if (!request.headers["anthropic-version"]) {
    return sendAnthropicError(response, "invalid_request", "anthropic-version: header is required");
  }
  let body: z.infer<typeof messagesRequestSchema>;
  let settings: SimSettings;
  try {
    const result = messagesRequestSchema.safeParse(await readJsonBody(request));
    if (!result.success)
      return sendAnthropicError(response, "invalid_request", describeSchemaError(result.error));
    body = result.data;
    const lastUser = body.messages.findLast((message) => message.role === "user");
    settings = parseSimSettings(contentText(lastUser?.content));
  } catch (error) {
    if (error instanceof BodyError || error instanceof SimDirectiveError) {
      return sendAnthropicError(response, "invalid_request", error.message);
    }
    throw error;
  }
  if (settings.fault?.kind === "http500") return sendAnthropicError(response, "server_error");
  if (settings.fault?.kind === "http429") return sendAnthropicError(response, "rate_limited");

  const texts = body.messages.map((message) => contentText(message.content));
  if (body.system) texts.push(contentText(body.system));
  const plan = planGeneration(settings, body.max_tokens);
  const encoder = new AnthropicEncoder(body.model, countInputTokens(texts));
  if (body.stream) {
    return streamToClient(response, encoder, plan, {
      splitUtf8: settings.fault?.kind === "splitutf8",
      activity,
      headers: { "request-id": providerId("req") },
    });
  }
  const abort = new AbortController();
  response.once("close", () => abort.abort());
  const end = await playWhole(encoder, plan, abort.signal);
  if (end === "drop") return void response.socket?.resetAndDestroy();
  if (end === "failed") return sendAnthropicError(response, "server_error", failureMessage(plan));
  if (end === "aborted") return;
  encoder.finish(plan.truncated);
  sendJson(response, 200, encoder.message());
}
