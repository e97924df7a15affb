import type { Sql } from "./client.ts";

/** The `GET /api/settings` body. */
export interface NotificationSettings {
  email: string | null;
  notifyEmail: boolean;
  notifyTelegram: boolean;
  telegram: { linked: boolean; username: string | null };
}

/** A user's notification settings and Telegram link; undefined when the profile does not exist. */
export async function readNotificationSettings(
  sql: Sql,
  userId: string,
): Promise<NotificationSettings | undefined> {
  const [row] = await sql<
    {
      email: string | null;
      notify_email: boolean;
      notify_telegram: boolean;
      chat_id: number | null;
      username: string | null;
    }[]
  >`
    select p.email, p.notify_email, p.notify_telegram, t.chat_id, t.username
    from profiles p left join telegram_links t on t.user_id = p.user_id
    where p.user_id = ${userId}`;
  if (!row) return undefined;
  return {
    email: row.email,
    notifyEmail: row.notify_email,
    notifyTelegram: row.notify_telegram,
    telegram: { linked: row.chat_id !== null, username: row.username },
  };
}

/** Changes the channel switches that are given; leaves the others. */
export async function updateNotificationSettings(
  sql: Sql,
  userId: string,
  change: { notifyEmail?: boolean; notifyTelegram?: boolean },
): Promise<void> {
  await sql`
    update profiles
    set notify_email = coalesce(${change.notifyEmail ?? null}::boolean, notify_email),
        notify_telegram = coalesce(${change.notifyTelegram ?? null}::boolean, notify_telegram),
        updated_at = now()
    where user_id = ${userId}`;
}
