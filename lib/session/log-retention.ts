import type { Sql } from "../db/client.ts";
import { deleteExpiredSessionLogs } from "../db/session-log-storage.ts";
import type { SessionRow } from "../db/sessions.ts";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import { logInfo } from "../log.ts";

/**
 * Whether a session's log is gone: the retention sweep (SESSION_RETENTION_DAYS) deleted it. Every
 * reader of the log (the stream endpoint, the snapshot, Durable Streams) answers 410
 * `gone:session_log` then, never an empty output.
 */
export function isSessionLogGone(session: Pick<SessionRow, "logDeletedAt">): boolean {
  return session.logDeletedAt !== null;
}

/** Throws 410 `gone:session_log` when the session's log was deleted by the retention sweep. */
export function requireSessionLog(session: Pick<SessionRow, "logDeletedAt">): void {
  if (!isSessionLogGone(session)) return;
  throw new AppError(
    "gone:session_log",
    "This session's output was deleted after the retention period (SESSION_RETENTION_DAYS).",
  );
}

/**
 * The reconciler's retention step: deletes the logs of sessions finished more than
 * SESSION_RETENTION_DAYS ago (nothing when unset). Returns the ids whose logs were deleted.
 */
export async function sweepExpiredSessionLogs(sql: Sql, env: Env): Promise<string[]> {
  if (env.SESSION_RETENTION_DAYS === undefined) return [];
  const deleted = await deleteExpiredSessionLogs(sql, env.SESSION_RETENTION_DAYS);
  if (deleted.length > 0)
    logInfo("deleted session logs past retention", {
      sessions: deleted.length,
      retentionDays: env.SESSION_RETENTION_DAYS,
    });
  return deleted;
}
