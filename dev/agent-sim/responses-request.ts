import { z } from "zod";
import { contentText } from "./http-io.ts";

const contentSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]);

const inputItemSchema = z.union([
  z.looseObject({
    type: z.literal("message").optional(),
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: contentSchema,
  }),
  z.looseObject({
    type: z.enum(["function_call", "function_call_output", "reasoning", "item_reference"]),
  }),
]);

/**
 * The OpenClaw gateway's request schema (`src/gateway/open-responses.schema.ts`). It is strict:
 * any key outside it — `background`, `stream_options`, `include`, … — is a 400.
 */
export const openClawRequestSchema = z.strictObject({
  model: z.string(),
  input: z.union([z.string(), z.array(inputItemSchema)]),
  instructions: z.string().optional(),
  tools: z
    .array(
      z.object({
        type: z.literal("function"),
        name: z.string(),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().optional(),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(["auto", "none", "required"]),
      z.object({ type: z.literal("function"), name: z.string() }),
    ])
    .optional(),
  stream: z.boolean().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  user: z.string().optional(),
  previous_response_id: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  store: z.boolean().optional(),
  max_tool_calls: z.number().int().optional(),
  reasoning: z
    .object({ effort: z.enum(["low", "medium", "high"]).optional(), summary: z.string().optional() })
    .optional(),
  truncation: z.enum(["auto", "disabled"]).optional(),
  text: z.object({ format: z.object({ type: z.literal("text") }) }).optional(),
});

/** OpenAI itself accepts far more; the simulator checks what it uses and ignores the rest. */
export const openAiResponsesRequestSchema = z.looseObject({
  model: z.string(),
  input: z.union([z.string(), z.array(inputItemSchema)]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  background: z.boolean().nullish(),
  store: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
});

export interface ResponsesRequest {
  model: string;
  lastUserText: string;
  allTexts: string[];
  /** The input's messages in order (an OpenClaw session's transcript grows by them). */
  messages: { role: string; content: string }[];
  instructions: string | null;
  stream: boolean;
  background: boolean;
  store: boolean;
  maxOutputTokens: number | undefined;
}

export function readResponsesRequest(body: z.infer<typeof openAiResponsesRequestSchema>): ResponsesRequest {
  const items = typeof body.input === "string" ? [{ role: "user", content: body.input }] : body.input;
  const texts: string[] = [];
  const messages: { role: string; content: string }[] = [];
  let lastUserText = "";
  for (const item of items) {
    const type = (item as { type?: unknown }).type;
    if (!("role" in item) || (type !== undefined && type !== "message")) continue;
    const text = contentText(item.content);
    texts.push(text);
    messages.push({ role: String(item.role), content: text });
    if (item.role === "user") lastUserText = text;
  }
  if (body.instructions) texts.push(body.instructions);
  return {
    model: body.model,
    lastUserText,
    allTexts: texts,
    messages,
    instructions: body.instructions ?? null,
    stream: body.stream === true,
    background: body.background === true,
    store: body.store !== false,
    maxOutputTokens: body.max_output_tokens ?? undefined,
  };
}

/** `path: message` per issue, as the gateway formats zod errors. */
export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
