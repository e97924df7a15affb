import { latestChatSessionId } from "../db/chat-sessions.ts";
import type { Sql } from "../db/client.ts";
import { getSessionOwnedBy } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import { isUuid } from "../ids.ts";
import { isTerminal } from "../lifecycle.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { cancelSession } from "../session/cancel.ts";
import type { SessionRow } from "../session/ports.ts";
import type { CancelResult } from "../session/wire.ts";

/**
 * What `/api/chat/{id}/…` names: one of the user's sessions (`WorkflowChatTransport` sends the
 * `x-workflow-run-id`, our session id; the session is named even once finished), else the user's chat
 * of that id, whose latest session counts only while it runs. Null: nothing to read.
 */
export async function findChatSession(sql: Sql, userId: string, id: string): Promise<SessionRow | null> {
  if (isUuid(id)) {
    const session = await getSessionOwnedBy(sql, id, userId);
    if (session) return session;
  }
  const latest = await latestChatSessionId(sql, userId, id);
  const session = latest ? await getSessionOwnedBy(sql, latest, userId) : null;
  return session && !isTerminal(session.status) ? session : null;
}

/**
 * `POST /api/chat/{id}/stop`: cancels the chat's running session (partial output kept), wherever it
 * runs; `conflict:not_running` (409) when nothing runs.
 */
export async function stopChat(deps: {
  runtime: Runtime;
  userId: string;
  id: string;
}): Promise<Pick<CancelResult, "status">> {
  const session = await findChatSession(deps.runtime.sql, deps.userId, deps.id);
  if (!session || isTerminal(session.status))
    throw new AppError("conflict:not_running", "Nothing is running in this chat.");
  const { status } = await cancelSession({
    runtime: deps.runtime,
    sessionId: session.id,
    userId: deps.userId,
  });
  return { status };
}
