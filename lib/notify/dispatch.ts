import { configure, idempotencyKeys, tasks } from "@trigger.dev/sdk";
import type { sendNotificationTask } from "../../trigger/send-notification.ts";
import type { Sql } from "../db/client.ts";
import { pendingNotificationIds } from "../db/notification-outbox.ts";
import { type NotifyChannel, sendNotify } from "../db/notify-payloads.ts";
import type { Env } from "../env.ts";
import { logError } from "../log.ts";

/** Local senders (the worker process) LISTEN here to send right away instead of at the next sweep. */
export const NOTIFICATIONS_CHANNEL = "overtime_notifications" satisfies NotifyChannel;

/** A runner waits at most this long for the dispatch after its finish. */
const DISPATCH_TIMEOUT_MS = 5000;

/** `notification:<id>`: a notification is sent by at most one Trigger.dev run. */
export function notificationIdempotencyKey(id: string): string {
  return `notification:${id}`;
}

/**
 * Right after the fenced finish: starts the sending of a session's pending notifications, through
 * Trigger.dev (`send-notification`) in production or a NOTIFY to the local worker. Never throws and
 * never waits long: a failure only delays sending until the next sweep.
 */
export async function dispatchSessionNotifications(sql: Sql, env: Env, sessionId: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${DISPATCH_TIMEOUT_MS} ms`)),
      DISPATCH_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([
      (async () => dispatchNotifications(sql, env, await pendingNotificationIds(sql, sessionId)))(),
      timeout,
    ]);
  } catch (error) {
    logError("notification dispatch failed; the sweep will send them", { sessionId, error });
  } finally {
    clearTimeout(timer);
  }
}

/** Dispatches these notification ids (see dispatchSessionNotifications); throws on failure. */
export async function dispatchNotifications(sql: Sql, env: Env, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  if (env.TRIGGER_SECRET_KEY) {
    configure({
      secretKey: env.TRIGGER_SECRET_KEY,
      ...(env.TRIGGER_API_URL ? { baseURL: env.TRIGGER_API_URL } : {}),
    });
    await Promise.all(
      ids.map(async (id) =>
        tasks.trigger<typeof sendNotificationTask>(
          "send-notification",
          { notificationId: id },
          {
            // Global: the same notification from any run (agent-session, a live route, the sweep) is one run.
            idempotencyKey: await idempotencyKeys.create(notificationIdempotencyKey(id), { scope: "global" }),
            idempotencyKeyTTL: "1d",
          },
        ),
      ),
    );
    return;
  }
  for (const id of ids) await sendNotify(sql, NOTIFICATIONS_CHANNEL, { n: id });
}
