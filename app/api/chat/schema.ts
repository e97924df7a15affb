import { z } from "zod";

export const MAX_CHAT_BODY_BYTES = 64 * 1024;

export const chatRequestSchema = z.object({
  message: z.string().min(1).max(32_000),
  conversationId: z.uuid().optional(),
  agent: z.string().min(1).max(100).optional(),
  mode: z.enum(["auto", "live", "background"]).default("auto"),
  /** Stop the session when its cost reaches this many credits (1 credit = US$0.01). */
  maxCredits: z.number().int().positive().max(100_000_000).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
