import { z } from "zod";

export { chatIdSchema } from "@/lib/ui-stream/chat-body.ts";

/** `?startIndex=N`: skip the first N chunks; a negative N counts from the tail. */
export const startIndexSchema = z
  .string()
  .regex(/^-?\d{1,9}$/, "must be an integer")
  .transform(Number)
  .optional();

/** `?follow=0`: the chunks the log holds now, then the end (a catch-up read); the default tails. */
export const followSchema = z.enum(["0", "1"]).default("1");
