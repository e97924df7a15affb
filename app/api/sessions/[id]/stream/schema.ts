import { z } from "zod";

/** A byte offset into the session's output: `?offset=N`, or the `Last-Event-ID` of a reconnect. */
export const streamOffsetSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `?follow=0` replays to the durable end and closes (a catch-up read); the default tails. */
export const streamFollowSchema = z.enum(["0", "1"]).default("1");
