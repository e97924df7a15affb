import type { Sql } from "./client.ts";
import type { SummaryNotificationKind } from "./notification-outbox.ts";

/** Everything a notification says, read from the ended session (immutable once it ended). */
export interface NotificationFacts {
  kind: SummaryNotificationKind;
  email: string | null;
  sessionId: string | null;
  title: string;
  agent: string;
  durationSeconds: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** The agent reported no usage for some run: the counts (and the cost) are estimates. */
  usageEstimated: boolean;
  costUsd: number | null;
  /** The final output (the assistant message), or "" when nothing was written. */
  output: string;
  error: { code: string; message: string } | null;
  balanceCredits: number;
}

/** The facts for one notification row; undefined when the row (or its session) is gone. */
export async function readNotificationFacts(
  sql: Sql,
  notificationId: string,
): Promise<NotificationFacts | undefined> {
  const [row] = await sql<
    {
      kind: SummaryNotificationKind;
      email: string | null;
      session_id: string | null;
      title: string | null;
      agent: string | null;
      duration_seconds: number | null;
      usage: { inputTokens?: number; outputTokens?: number; estimated?: boolean } | null;
      cost_usd: string | null;
      error: { code?: string; message?: string } | null;
      output: string | null;
      balance: number;
    }[]
  >`
    select n.kind, p.email, n.session_id, s.title, s.agent, s.usage, s.cost_usd, s.error,
           extract(epoch from s.finished_at - coalesce(s.started_at, s.created_at))::float8 as duration_seconds,
           (select coalesce(m.content, public.session_output(m.session_id)) from messages m
            where m.session_id = s.id) as output,
           (select coalesce(sum(c.amount), 0)::float8 from credit_ledger c where c.user_id = n.user_id) as balance
    from notifications n
    join profiles p on p.user_id = n.user_id
    left join sessions s on s.id = n.session_id
    where n.id = ${notificationId}`;
  if (!row || (row.session_id !== null && row.agent === null)) return undefined;
  return {
    kind: row.kind,
    email: row.email,
    sessionId: row.session_id,
    title: row.title || "Untitled session",
    agent: row.agent ?? "",
    durationSeconds: row.duration_seconds,
    inputTokens: row.usage?.inputTokens ?? null,
    outputTokens: row.usage?.outputTokens ?? null,
    usageEstimated: row.usage?.estimated === true,
    costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
    output: row.output ?? "",
    error: row.error ? { code: row.error.code ?? "unknown", message: row.error.message ?? "" } : null,
    balanceCredits: row.balance,
  };
}

/** The chat a user linked, if any. */
export async function readTelegramChatId(sql: Sql, userId: string): Promise<number | undefined> {
  const [row] = await sql<
    { chat_id: number }[]
  >`select chat_id from telegram_links where user_id = ${userId}`;
  return row?.chat_id;
}
