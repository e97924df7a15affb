import { isTerminal, type SessionStatus, statusList, TRANSITIONS } from "../lifecycle.ts";
import type { FinishSessionInput } from "../session/ports.ts";
import type { Sql } from "./client.ts";
import { enqueueSessionNotifications, notificationKindFor } from "./notification-outbox.ts";
import { sendNotify } from "./notify-payloads.ts";
import { billRun } from "./run-billing.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";
import { compactSessionLog } from "./session-log-storage.ts";
import { enqueueTelegramAnswer } from "./telegram-sessions.ts";

export type { FinishSessionInput } from "../session/ports.ts";

/**
 * Ends a session in one transaction: the ending run's bill (once per run, see `billRun`), status on
 * the row, the final assistant message with the session's usage totals (written once: unique per
 * session; its text stays in the log), the log compacted (`compactSessionLog`), the notification outbox rows (notificationKindFor), and a NOTIFY for readers. Fenced when the caller's epoch is stale. Repeating the call with the same epoch
 * (a retried completion) changes nothing and returns "ok".
 */
export async function finishSession(sql: Sql, input: FinishSessionInput): Promise<"ok" | "fenced"> {
  return sql.begin(async (tx) => {
    const [session] = await tx<
      {
        epoch: number;
        status: SessionStatus;
        runner: string | null;
        user_id: string;
        conversation_id: string;
        durable_offset: number;
        client_left: boolean;
        error: { code?: string } | null;
      }[]
    >`select epoch, status, runner, user_id, conversation_id, durable_offset,
             client_left_at is not null as client_left, error from sessions
      where id = ${input.sessionId} for update`;
    if (!session || session.epoch !== input.epoch) return "fenced" as const;
    const alreadyFinished = isTerminal(session.status);
    if (input.run) await billRun(tx, { ...input.run, sessionId: input.sessionId, epoch: input.epoch });
    if (!alreadyFinished) {
      await tx`
        update sessions
        set status = ${input.status},
            error = ${input.error ? tx.json(input.error) : null},
            finished_at = now(), lease_expires_at = null, lease_owner = null, updated_at = now()
        where id = ${input.sessionId}`;
    }
    const status = alreadyFinished ? session.status : input.status;
    // The answer's text is stored once, in the log: the message points at the session (content
    // null) and readers take the text from `public.session_output`.
    await tx`
      insert into messages (conversation_id, user_id, role, content, session_id, input_tokens, output_tokens, cost_usd)
      select ${session.conversation_id}, ${session.user_id}, 'assistant', null, ${input.sessionId},
             (s.usage ->> 'inputTokens')::int, (s.usage ->> 'outputTokens')::int, s.cost_usd
      from sessions s
      where s.id = ${input.sessionId}
        and (${status} = 'completed' or exists (select 1 from session_chunks c where c.session_id = s.id))
      on conflict (session_id) do nothing`;
    await compactSessionLog(tx, input.sessionId);
    // One outbox row per enabled channel (DESIGN §7), enqueued inside the fenced transaction so a
    // stale runner can never notify.
    const kind = notificationKindFor({
      status,
      runner: session.runner,
      clientLeft: session.client_left,
      errorCode: (alreadyFinished ? session.error?.code : input.error?.code) ?? null,
    });
    if (kind)
      await enqueueSessionNotifications(tx, { sessionId: input.sessionId, userId: session.user_id, kind });
    // A session started from Telegram answers there, however it ended (that answer is its notification).
    await enqueueTelegramAnswer(tx, input.sessionId);
    await sendNotify(tx, SESSION_LOG_CHANNEL, { s: input.sessionId, o: session.durable_offset, st: status });
    return "ok" as const;
  });
}

/** Marks the live runner's stop at the budget (connection-bound agents continue in the background). */
export async function markInterrupted(sql: Sql, sessionId: string, epoch: number): Promise<"ok" | "fenced"> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ durable_offset: number }[]>`
      update sessions set status = 'interrupted', updated_at = now()
      where id = ${sessionId} and epoch = ${epoch} and status in (${tx.unsafe(statusList(TRANSITIONS.interrupt.from))})
      returning durable_offset`;
    if (!row) return "fenced" as const;
    await sendNotify(tx, SESSION_LOG_CHANNEL, { s: sessionId, o: row.durable_offset, st: "interrupted" });
    return "ok" as const;
  });
}
