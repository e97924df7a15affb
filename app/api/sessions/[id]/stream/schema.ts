import { z } from "zod";
import { parseCursor, type StreamCursor } from "@/lib/session/wire.ts";

/**
 * Where to resume: `?offset=N` (a plain byte offset), or a cursor `<generation>:<offset>` as sent in
 * the `id:` of deltas — in `?offset=` or in the `Last-Event-ID` of an EventSource reconnect.
 */
export const streamCursorSchema = z.string().transform((raw, context): StreamCursor => {
  const cursor = parseCursor(raw);
  if (!cursor) {
    context.addIssue({
      code: "custom",
      message: "expected a byte offset N or a cursor <generation>:<offset>",
    });
    return z.NEVER;
  }
  return cursor;
});

/** `?follow=0` replays to the durable end and closes (a catch-up read); the default tails. */
export const streamFollowSchema = z.enum(["0", "1"]).default("1");
