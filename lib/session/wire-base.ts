/**
 * The primitives of the wire contract (`wire.ts`): statuses, offsets, usage, progress and the
 * session state every reader needs besides the bytes. Browser-safe: zod only.
 */
import { z } from "zod";
import { RUNNER_KINDS, SESSION_MODES, SESSION_STATUSES } from "../lifecycle.ts";

export { SESSION_STATUSES } from "../lifecycle.ts";
export const sessionStatusSchema = z.enum(SESSION_STATUSES);
export const runnerKindSchema = z.enum(RUNNER_KINDS);
export const sessionModeSchema = z.enum(SESSION_MODES);

/** A UTF-8 byte offset into a session's output. */
export const byteOffsetSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const countSchema = z.number().int().min(0);

/** Totals over a session's runs; `estimated` when some run's usage was estimated from the text. */
export const usageSchema = z.object({
  inputTokens: countSchema,
  outputTokens: countSchema,
  estimated: z.boolean().optional(),
});

/** `estimated`: the token count is estimated from the text (the agent reported no usage yet). */
export const progressSchema = z.object({
  stage: z.string().nullable(),
  outputTokens: countSchema,
  elapsedMs: z.number(),
  estimated: z.boolean().optional(),
  /** Credits the running agent run has used so far (metered while it runs; exact, a decimal). */
  credits: z.number().min(0).optional(),
});

/**
 * The one progress shape every reader gets, over SSE, Realtime and in the snapshot: a stage the
 * agent has not named (absent or empty) is `null`, never `""`. Every encoder sends progress through here.
 */
export function encodeProgress(progress: SessionProgress): SessionProgress {
  return { ...progress, stage: progress.stage || null };
}

export const sessionErrorSchema = z.object({ code: z.string().min(1), message: z.string() });

/** Status, producer and seams: what a reader needs besides the bytes (the SSE and Realtime `status`). */
export const sessionStateSchema = z.object({
  status: sessionStatusSchema,
  runner: runnerKindSchema.nullable(),
  /** The durable end of the log when this was sent. */
  offset: byteOffsetSchema,
  /** Byte offsets where a continuation joined the output. */
  seams: z.array(byteOffsetSchema),
});

export type SessionStatus = z.infer<typeof sessionStatusSchema>;
export type RunnerKind = z.infer<typeof runnerKindSchema>;
export type SessionMode = z.infer<typeof sessionModeSchema>;
export type SessionUsage = z.infer<typeof usageSchema>;
export type SessionProgress = z.infer<typeof progressSchema>;
export type SessionState = z.infer<typeof sessionStateSchema>;

/** A message the reader cannot decode: a broken stream, shown to the user, never guessed at. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(data)"}: ${issue.message}`).join("; ");
}
