/**
 * The body the AI SDK's transports POST to /api/chat (`DefaultChatTransport`: `{id, messages, trigger,
 * messageId, ...body}`; `WorkflowChatTransport`: `{messages, ...body}`), and the union with our own
 * body. The two are told apart by the schema (`messages` array vs `message` string), never by guessing.
 * Browser-safe: zod only.
 */
import { z } from "zod";
import { chatRequestSchema, MAX_CHAT_MESSAGE_CHARS, sessionModeSchema } from "../session/wire.ts";

/** `useChat` ids: its 16-character ids, UUIDs; at most 128 of A-Za-z0-9_- (the column's check too). */
export const chatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be 1-128 of A-Za-z0-9_-");

const uiPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });
const uiMessageSchema = z.looseObject({
  id: z.string().max(200),
  role: z.enum(["system", "user", "assistant"]),
  parts: z.array(uiPartSchema),
});

/** What an AI SDK transport sends; Overtime's options ride in the same body; unknown keys are ignored. */
export const aiSdkChatBodySchema = z.object({
  id: chatIdSchema.optional(),
  messages: z.array(uiMessageSchema).min(1),
  trigger: z.enum(["submit-message", "regenerate-message"]).default("submit-message"),
  messageId: z.string().optional(),
  agent: z.string().min(1).max(100).optional(),
  mode: sessionModeSchema.default("auto"),
  maxCredits: z.number().int().positive().max(100_000_000).optional(),
  /** A conversation of the user's that has no chat id (started by our own body): its next turn. */
  conversationId: z.uuid().optional(),
});
export type AiSdkChatBody = z.infer<typeof aiSdkChatBodySchema>;

/** `POST /api/chat`: the AI SDK's body or our own. */
export const chatBodySchema = z.union([aiSdkChatBodySchema, chatRequestSchema]);
export type ChatBody = z.infer<typeof chatBodySchema>;

export function isAiSdkBody(body: ChatBody): body is AiSdkChatBody {
  return "messages" in body;
}

/** For a readable 400: the branch the body meant (it has `messages`), whose issues name a field. */
export function chatBodyBranch(value: unknown): z.ZodType {
  return typeof value === "object" && value !== null && "messages" in value
    ? aiSdkChatBodySchema
    : chatRequestSchema;
}

/** The text of the last user message: the new turn (the server keeps the history). Null: none. */
export function lastUserText(body: AiSdkChatBody): string | null {
  const last = body.messages.findLast((message) => message.role === "user");
  if (!last) return null;
  const text = last.parts
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("");
  if (!text || text.length > MAX_CHAT_MESSAGE_CHARS || text.includes("\u0000")) return null;
  return text;
}
