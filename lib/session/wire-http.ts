/** The JSON bodies of the HTTP API, part of the wire contract (`wire.ts`). */
import { z } from "zod";
import {
  byteOffsetSchema,
  progressSchema,
  runnerKindSchema,
  sessionErrorSchema,
  sessionModeSchema,
  sessionStatusSchema,
  usageSchema,
} from "./wire-base.ts";

export const MAX_CHAT_MESSAGE_CHARS = 32_000;

/** `POST /api/chat`. Postgres text cannot hold NUL, so a message with one is refused by name. */
export const chatRequestSchema = z.object({
  message: z
    .string()
    .min(1)
    .max(MAX_CHAT_MESSAGE_CHARS)
    .refine((message) => !message.includes("\u0000"), {
      message: "must not contain a NUL character (\\u0000)",
    }),
  conversationId: z.uuid().optional(),
  agent: z.string().min(1).max(100).optional(),
  mode: sessionModeSchema.default("auto"),
  /** Stop the session when its cost reaches this many credits (1 credit = US$0.01). */
  maxCredits: z.number().int().positive().max(100_000_000).optional(),
});
export type ChatRequest = z.input<typeof chatRequestSchema>;

/** `POST /api/chat` answered 202: the session runs in the background from its first byte. */
export const backgroundAcceptanceSchema = z.object({
  sessionId: z.string().min(1),
  conversationId: z.string().min(1),
  status: z.literal("background"),
  streamUrl: z.string().min(1),
});

/** `GET /api/sessions/:id`. */
export const sessionSnapshotSchema = z.object({
  id: z.string().min(1),
  conversationId: z.string().min(1),
  /** The user message that started the session (null if it was deleted). */
  userMessageId: z.string().nullable(),
  agent: z.string(),
  title: z.string(),
  status: sessionStatusSchema,
  mode: sessionModeSchema,
  runner: runnerKindSchema.nullable(),
  prompt: z.string(),
  output: z.string(),
  offset: byteOffsetSchema,
  seams: z.array(byteOffsetSchema),
  /** The text a continuation put right after a seam so words stay apart, by seam offset. */
  seamJoiners: z.record(z.string(), z.string()).optional(),
  progress: progressSchema.nullable(),
  usage: usageSchema.nullable(),
  costUsd: z.number().nullable(),
  error: sessionErrorSchema.nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `GET /api/agents`: names and shapes only (URLs and tokens never leave the server). */
export const agentListSchema = z.array(
  z.object({
    name: z.string().min(1),
    transport: z.string().min(1),
    model: z.string(),
    detachable: z.boolean(),
    default: z.boolean(),
  }),
);

/** `GET /api/conversations/:id`. */
export const conversationSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  createdAt: z.string(),
  messages: z.array(
    z.object({
      id: z.string().min(1),
      role: z.enum(["user", "assistant"]),
      content: z.string(),
      sessionId: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});

/** `POST /api/sessions/:id/cancel`. */
export const cancelResultSchema = z.object({ status: sessionStatusSchema, offset: byteOffsetSchema });

/** `POST /api/chat/:id/stop` (the AI SDK chat's stop): the stopped session's status. */
export const chatStopResultSchema = cancelResultSchema.pick({ status: true });

/** Every API error body. */
export const apiErrorSchema = z.looseObject({
  code: z.string().min(1),
  message: z.string(),
  balance: z.number().optional(),
});

export type SessionSnapshot = z.infer<typeof sessionSnapshotSchema>;
export type BackgroundAcceptance = z.infer<typeof backgroundAcceptanceSchema>;
export type AgentOption = z.infer<typeof agentListSchema>[number];
export type Conversation = z.infer<typeof conversationSchema>;
export type CancelResult = z.infer<typeof cancelResultSchema>;
