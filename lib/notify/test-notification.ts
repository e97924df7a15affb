import type { Sql } from "../db/client.ts";
import { readTelegramChatId } from "../db/notification-content.ts";
import { enqueueTestNotification, type NotificationChannel } from "../db/notification-outbox.ts";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import { logError } from "../log.ts";
import { dispatchNotifications } from "./dispatch.ts";

/**
 * Queues a test notification on one channel (whatever its switch says: the user asked for it) and
 * starts its sending. Telegram needs a linked chat (409 otherwise).
 */
export async function sendTestNotification(
  sql: Sql,
  env: Env,
  userId: string,
  channel: NotificationChannel,
): Promise<string> {
  if (channel === "telegram" && (await readTelegramChatId(sql, userId)) === undefined) {
    throw new AppError("conflict:telegram_not_linked", "Link Telegram first.");
  }
  const id = await enqueueTestNotification(sql, userId, channel);
  await dispatchNotifications(sql, env, [id]).catch((error: unknown) =>
    logError("test notification dispatch failed; the sweep will send it", {
      userId,
      notificationId: id,
      error,
    }),
  );
  return id;
}
