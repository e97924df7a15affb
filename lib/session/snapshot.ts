import type { Sql } from "../db/client.ts";
import { readLogText } from "../db/session-log.ts";
import { getSessionOwnedBy, getSessionUserMessage, type SessionRow } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import { isUuid } from "../ids.ts";
import { logError } from "../log.ts";
import { requireSessionLog } from "./log-retention.ts";
import {
  encodeProgress,
  progressSchema,
  type SessionProgress,
  type SessionSnapshot,
  sessionSnapshotSchema,
} from "./wire.ts";

/**
 * The caller's session, or `not_found:session` — the same answer whether it does not exist or
 * belongs to someone else, so ids of other users' sessions leak nothing.
 */
export async function requireOwnedSession(sql: Sql, sessionId: string, userId: string): Promise<SessionRow> {
  const session = isUuid(sessionId) ? await getSessionOwnedBy(sql, sessionId, userId) : null;
  if (!session) throw new AppError("not_found:session", "Session not found.");
  return session;
}

/**
 * GET /api/sessions/:id: the session and its durable output so far (`offset` = its length in bytes);
 * 410 `gone:session_log` once the retention sweep deleted the output.
 */
export async function getSessionSnapshot(
  sql: Sql,
  sessionId: string,
  userId: string,
): Promise<SessionSnapshot> {
  const session = await requireOwnedSession(sql, sessionId, userId);
  requireSessionLog(session);
  // Read the text after the row: the text may be ahead of the row's offset, never behind it.
  const [output, userMessage] = await Promise.all([
    readLogText(sql, session.id),
    getSessionUserMessage(sql, session.id),
  ]);
  return sessionSnapshotSchema.parse({
    id: session.id,
    conversationId: session.conversationId,
    userMessageId: userMessage?.id ?? null,
    agent: session.agent,
    title: session.title,
    status: session.status,
    mode: session.mode,
    runner: session.runner,
    prompt: userMessage?.content ?? "",
    output,
    offset: Buffer.byteLength(output, "utf8"),
    seams: session.seamOffsets,
    seamJoiners: session.seamJoiners,
    progress: wireProgress(session),
    usage: session.usage,
    costUsd: session.costUsd,
    error: session.error,
    startedAt: session.startedAt?.toISOString() ?? null,
    finishedAt: session.finishedAt?.toISOString() ?? null,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  });
}

/** A session's stored progress in the wire format; a row that does not fit is logged and left out. */
export function wireProgress(session: SessionRow): SessionProgress | null {
  if (session.progress === null) return null;
  const parsed = progressSchema.safeParse(session.progress);
  if (parsed.success) return encodeProgress(parsed.data);
  logError("session progress is not in the wire format", { sessionId: session.id, error: parsed.error });
  return null;
}
