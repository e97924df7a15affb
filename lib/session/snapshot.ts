import type { Sql } from "../db/client.ts";
import { readLogText } from "../db/session-log.ts";
import { getSessionOwnedBy, getSessionPrompt, type SessionRow } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import { isUuid } from "../ids.ts";

/**
 * The caller's session, or `not_found:session` — the same answer whether it does not exist or
 * belongs to someone else, so ids of other users' sessions leak nothing.
 */
export async function requireOwnedSession(sql: Sql, sessionId: string, userId: string): Promise<SessionRow> {
  const session = isUuid(sessionId) ? await getSessionOwnedBy(sql, sessionId, userId) : null;
  if (!session) throw new AppError("not_found:session", "Session not found.");
  return session;
}

export interface SessionSnapshot {
  id: string;
  conversationId: string;
  agent: string;
  title: string;
  status: string;
  mode: string;
  runner: string | null;
  prompt: string;
  output: string;
  offset: number;
  seams: number[];
  progress: unknown;
  usage: { inputTokens: number; outputTokens: number; estimated?: boolean } | null;
  costUsd: number | null;
  error: { code: string; message: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/sessions/:id: the session and its durable output so far (`offset` = its length in bytes). */
export async function getSessionSnapshot(
  sql: Sql,
  sessionId: string,
  userId: string,
): Promise<SessionSnapshot> {
  const session = await requireOwnedSession(sql, sessionId, userId);
  // Read the text after the row: the text may be ahead of the row's offset, never behind it.
  const [output, prompt] = await Promise.all([
    readLogText(sql, session.id),
    getSessionPrompt(sql, session.id),
  ]);
  return {
    id: session.id,
    conversationId: session.conversationId,
    agent: session.agent,
    title: session.title,
    status: session.status,
    mode: session.mode,
    runner: session.runner,
    prompt,
    output,
    offset: Buffer.byteLength(output, "utf8"),
    seams: session.seamOffsets,
    progress: session.progress,
    usage: session.usage,
    costUsd: session.costUsd,
    error: session.error,
    startedAt: session.startedAt?.toISOString() ?? null,
    finishedAt: session.finishedAt?.toISOString() ?? null,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  };
}
