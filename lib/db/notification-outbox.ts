import type { TransactionSql } from "postgres";
import { logError } from "../log.ts";
import type { Sql } from "./client.ts";

export type NotificationChannel = "email" | "telegram";
export type NotificationKind =
  | "completed"
  | "failed"
  | "out_of_credits"
  | "test"
  /** A Telegram-started session's status message (sent, then edited while it runs) and its answer. */
  | "telegram_status"
  | "telegram_answer";

/** The kinds told as a summary (email, or a Telegram message about a session started elsewhere). */
export type SummaryNotificationKind = Exclude<NotificationKind, "telegram_status" | "telegram_answer">;

/** The kinds a session's ending enqueues for its owner's channels. */
export type SessionNotificationKind = Extract<NotificationKind, "completed" | "failed" | "out_of_credits">;

/** A row a sender claimed: it alone may record the outcome of this attempt. */
export interface ClaimedNotification {
  id: string;
  userId: string;
  sessionId: string | null;
  channel: NotificationChannel;
  kind: NotificationKind;
  /** This attempt's number; the outcome is recorded only while it is still the row's attempt. */
  attempt: number;
  payload: unknown;
}

/**
 * Claims up to `limit` due rows in one statement: pending rows whose time has come, and `sending`
 * rows whose claim expired (their sender died). FOR UPDATE SKIP LOCKED lets several senders run at
 * once without ever claiming the same row; the claim lasts `claimSeconds`.
 */
export async function claimDueNotifications(
  sql: Sql,
  options: { limit: number; claimSeconds: number; onlyId?: string },
): Promise<ClaimedNotification[]> {
  const rows = await sql<
    {
      id: string;
      user_id: string;
      session_id: string | null;
      channel: NotificationChannel;
      kind: NotificationKind;
      attempts: number;
      payload: unknown;
    }[]
  >`
    update notifications n
    set status = 'sending', attempts = n.attempts + 1,
        next_attempt_at = now() + make_interval(secs => ${options.claimSeconds})
    from (
      select id from notifications
      where status in ('pending', 'sending') and next_attempt_at <= now()
        and (${options.onlyId ?? null}::uuid is null or id = ${options.onlyId ?? null}::uuid)
      order by next_attempt_at
      limit ${options.limit}
      for update skip locked
    ) due
    where n.id = due.id
    returning n.id, n.user_id, n.session_id, n.channel, n.kind, n.attempts, n.payload`;
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    sessionId: row.session_id,
    channel: row.channel,
    kind: row.kind,
    attempt: row.attempts,
    payload: row.payload,
  }));
}

/**
 * Stores the rendered message the first time and returns the stored one ever after, so every retry
 * sends exactly the same bytes (Resend answers 409 to a reused key with a different body).
 */
export async function keepPayload<T>(sql: Sql, id: string, rendered: T): Promise<T> {
  const [row] = await sql<{ payload: T }[]>`
    update notifications set payload = coalesce(payload, ${sql.json(rendered as never)})
    where id = ${id} returning payload`;
  return row ? row.payload : rendered;
}

type Outcome =
  | { status: "sent"; providerId: string }
  /** `error` null: not a failure, the row is due again by design (a status message's next edit). */
  | { status: "pending"; retryInSeconds: number; error: string | null }
  | { status: "failed"; error: string };

/**
 * Records the outcome of one attempt. Only while the row is still `sending` at this attempt: a sender
 * whose claim expired and was taken over cannot overwrite the newer attempt. Returns whether recorded.
 */
export async function recordAttempt(
  sql: Sql,
  claimed: Pick<ClaimedNotification, "id" | "attempt">,
  outcome: Outcome,
): Promise<boolean> {
  const rows =
    outcome.status === "sent"
      ? await sql`
          update notifications set status = 'sent', provider_id = ${outcome.providerId}, sent_at = now(), last_error = null
          where id = ${claimed.id} and status = 'sending' and attempts = ${claimed.attempt} returning id`
      : outcome.status === "pending"
        ? await sql`
          update notifications set status = 'pending', last_error = ${outcome.error},
            next_attempt_at = now() + make_interval(secs => ${outcome.retryInSeconds})
          where id = ${claimed.id} and status = 'sending' and attempts = ${claimed.attempt} returning id`
        : await sql`
          update notifications set status = 'failed', last_error = ${outcome.error}
          where id = ${claimed.id} and status = 'sending' and attempts = ${claimed.attempt} returning id`;
  return rows.length === 1;
}

/** Ids of a session's rows still waiting to be sent (for the dispatch right after the finish). */
export async function pendingNotificationIds(sql: Sql, sessionId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from notifications where session_id = ${sessionId} and status = 'pending'`;
  return rows.map((row) => row.id);
}

/** A test notification on one channel for the settings page; returns its id. */
export async function enqueueTestNotification(
  sql: Sql,
  userId: string,
  channel: NotificationChannel,
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into notifications (user_id, session_id, channel, kind)
    values (${userId}, null, ${channel}, 'test') returning id`;
  return (row as { id: string }).id;
}

export interface NotificationSummary {
  id: string;
  sessionId: string | null;
  channel: NotificationChannel;
  kind: NotificationKind;
  status: "pending" | "sending" | "sent" | "failed";
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  lastError: string | null;
}

/** The caller's last 50 notifications, newest first (a Telegram status message is not one: it is edited, not notified). */
export async function listNotifications(sql: Sql, userId: string): Promise<NotificationSummary[]> {
  const rows = await sql<
    {
      id: string;
      session_id: string | null;
      channel: NotificationChannel;
      kind: NotificationKind;
      status: NotificationSummary["status"];
      attempts: number;
      created_at: Date;
      sent_at: Date | null;
      last_error: string | null;
    }[]
  >`
    select id, session_id, channel, kind, status, attempts, created_at, sent_at, last_error
    from notifications where user_id = ${userId} and kind <> 'telegram_status'
    order by created_at desc, id limit 50`;
  return rows.map((row) => ({
    id: row.id,
    sessionId: row.session_id,
    channel: row.channel,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
    lastError: row.last_error,
  }));
}

/**
 * Enqueues one row per channel the owner enabled (Telegram only once linked, and not for a session
 * started from Telegram: its answer is its notification), once per session and kind. Runs inside
 * the fenced finish transaction, so a stale runner can never notify.
 */
export async function enqueueSessionNotifications(
  tx: Sql | TransactionSql,
  input: { sessionId: string; userId: string; kind: SessionNotificationKind },
): Promise<void> {
  await tx`
    insert into notifications (user_id, session_id, channel, kind)
    select p.user_id, ${input.sessionId}, channel.name, ${input.kind}
    from profiles p
    cross join lateral (values ('email', p.notify_email),
      ('telegram', p.notify_telegram and exists (select 1 from telegram_links t where t.user_id = p.user_id)
        and not exists (select 1 from telegram_sessions ts where ts.session_id = ${input.sessionId})))
      as channel(name, enabled)
    where p.user_id = ${input.userId} and channel.enabled
    on conflict (session_id, channel, kind) do nothing`;
}

/**
 * Which ended sessions notify (DESIGN §7): every one that ran out of credits; every completed or
 * failed one that ended in the background (started there, handed off, continued) or whose live
 * client left before the end. A live chat watched to the end, and any cancel, notify nobody.
 */
export function notificationKindFor(session: {
  status: string;
  runner: string | null;
  clientLeft: boolean;
  errorCode: string | null;
}): SessionNotificationKind | null {
  if (session.status === "failed" && session.errorCode?.startsWith("payment_required"))
    return "out_of_credits";
  if (session.status !== "completed" && session.status !== "failed") return null;
  const background = session.runner === "worker" || session.runner === "trigger";
  return background || session.clientLeft ? session.status : null;
}

/** The live chat's client went away before the session ended; never throws (it runs on close). */
export async function markClientLeft(sql: Sql, sessionId: string): Promise<void> {
  await sql`
    update sessions set client_left_at = now()
    where id = ${sessionId} and client_left_at is null and finished_at is null`.catch((error: unknown) =>
    logError("could not record that the client left", { sessionId, error }),
  );
}

/** When a pending notification is next due; undefined once it is no longer pending. */
export async function pendingNotificationDueAt(sql: Sql, id: string): Promise<Date | undefined> {
  const [row] = await sql<{ next_attempt_at: Date }[]>`
    select next_attempt_at from notifications where id = ${id} and status = 'pending'`;
  return row?.next_attempt_at;
}
