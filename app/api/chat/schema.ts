export { type ChatRequest, chatRequestSchema } from "@/lib/session/wire.ts";

export const MAX_CHAT_BODY_BYTES = 64 * 1024;
