import { z } from "zod";
import { parseWith } from "@/lib/http/validate.ts";
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

/** The stream request's cursor and follow mode, each refused with its own 400 code. */
export function parseStreamRequest(request: Request): { cursor: StreamCursor; follow: boolean } {
  const params = new URL(request.url).searchParams;
  const follow = parseWith(
    streamFollowSchema,
    params.get("follow") ?? undefined,
    "bad_request:follow",
    "follow",
  );
  // An EventSource reconnect repeats the URL it started with; its Last-Event-ID is the newer cursor.
  const lastEventId = request.headers.get("last-event-id");
  const raw = lastEventId || params.get("offset") || "0";
  const field = lastEventId ? "Last-Event-ID" : "offset";
  return { cursor: parseWith(streamCursorSchema, raw, "bad_request:offset", field), follow: follow === "1" };
}
