import type { Sql } from "./client.ts";
import { enqueueSessionNotifications, notificationKindFor } from "./notification-outbox.ts";
import { SESSION_LOG_CHANNEL } from "./session-log.ts";
import type { SessionStatus } from "./sessions.ts";

/** 1 credit = 1 US cent of agent usage. */
export const CREDITS_PER_USD = 100;

export interface FinishSessionInput {
  sessionId: string;
  epoch: number;
  status: Extract<SessionStatus, "completed" | "failed" | "cancelled">;
  usage: { inputTokens: number; outputTokens: number } | null;
  costUsd: number | null;
  error: { code: string; message: string } | null;
}

/**
 * Ends a session in one transaction: status and usage on the row, the final assistant message
 * (written once: unique per session), the usage debit (once: idempotency key per session), the
 * notification outbox rows (notificationKindFor), and a NOTIFY for readers. Fenced when the caller's epoch is stale. Repeating the call with the same epoch
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
    const alreadyFinished = ["completed", "failed", "cancelled"].includes(session.status);
    if (!alreadyFinished) {
      await tx`
        update sessions
        set status = ${input.status},
            usage = ${input.usage ? tx.json(input.usage) : null},
            cost_usd = ${input.costUsd},
            error = ${input.error ? tx.json(input.error) : null},
            finished_at = now(), lease_expires_at = null, lease_owner = null, updated_at = now()
        where id = ${input.sessionId}`;
    }
    const status = alreadyFinished ? session.status : input.status;
    await tx`
      insert into messages (conversation_id, user_id, role, content, session_id, input_tokens, output_tokens, cost_usd)
      select ${session.conversation_id}, ${session.user_id}, 'assistant', coalesce(string_agg(text, '' order by start_offset), ''),
             ${input.sessionId}, ${input.usage?.inputTokens ?? null}, ${input.usage?.outputTokens ?? null}, ${input.costUsd}
      from session_chunks where session_id = ${input.sessionId}
      having count(*) > 0 or ${status} = 'completed'
      on conflict (session_id) do nothing`;
    const credits = Math.ceil((input.costUsd ?? 0) * CREDITS_PER_USD);
    if (credits > 0) {
      await tx`
        insert into credit_ledger (user_id, amount, kind, idempotency_key, session_id)
        values (${session.user_id}, ${-credits}, 'debit', ${`session:${input.sessionId}:usage`}, ${input.sessionId})
        on conflict (idempotency_key) do nothing`;
    }
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
    await tx`select pg_notify(${SESSION_LOG_CHANNEL},
      ${JSON.stringify({ s: input.sessionId, o: session.durable_offset, st: status })})`;
    return "ok" as const;
  });
}

/** Marks the live runner's stop at the budget (connection-bound agents continue in the background). */
export async function markInterrupted(sql: Sql, sessionId: string, epoch: number): Promise<"ok" | "fenced"> {
  const rows = await sql`
    update sessions set status = 'interrupted', updated_at = now()
    where id = ${sessionId} and epoch = ${epoch} and status in ('live', 'background')
    returning durable_offset, pg_notify(${SESSION_LOG_CHANNEL},
      json_build_object('s', id::text, 'o', durable_offset, 'st', 'interrupted')::text)`;
  return rows.length === 1 ? "ok" : "fenced";
}
