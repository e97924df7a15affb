import type { Sql } from "../db/client.ts";
import { watchSession, watchSessionList } from "../db/session-watches.ts";
import { AppError } from "../errors.ts";
import { isUuid } from "../ids.ts";

/**
 * POST /api/sessions/:id/watch: the caller's tab shows the session, so its runner broadcasts it live
 * and checkpoints at the short interval for the next minute (issue 19). Another user's session is the
 * same `not_found:session` as a missing one.
 */
export async function watchOwnedSession(sql: Sql, sessionId: string, userId: string): Promise<void> {
  if (!isUuid(sessionId) || !(await watchSession(sql, sessionId, userId))) {
    throw new AppError("not_found:session", "Session not found.");
  }
}

/** POST /api/sessions/watch: the caller's tab shows her sessions list (`user:<id>` progress). */
export async function watchOwnSessionList(sql: Sql, userId: string): Promise<void> {
  await watchSessionList(sql, userId);
}
