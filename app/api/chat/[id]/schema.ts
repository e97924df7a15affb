import { z } from "zod";

export { chatIdSchema } from "@/lib/ui-stream/chat-body.ts";

/** `?startIndex=N`: skip the first N chunks; a negative N counts from the tail. */
export const startIndexSchema = z
  .string()
  .regex(/^-?\d{1,9}$/, "must be an integer")
  .transform(Number)
  .optional();
