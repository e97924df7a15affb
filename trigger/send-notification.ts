import { logger, schemaTask, wait } from "@trigger.dev/sdk";
import { z } from "zod";
import { pendingNotificationDueAt } from "../lib/db/notification-outbox.ts";
import { deliverDueNotifications } from "../lib/notify/sender.ts";
import { taskRuntime } from "./runtime.ts";

/**
 * Rounds one run makes at most: a failing row ends `failed` after MAX_ATTEMPTS on its own, but a
 * Telegram status row is due again every 5 s while its session runs (one edit per round), so the run
 * keeps going for as long as `maxDuration` allows; the sweep edits it after that.
 */
const MAX_ROUNDS = 360;

/**
 * Sends one notification (DESIGN §7), triggered right after the fenced finish with the idempotency
 * key `notification:<id>`. A transient failure waits (checkpointed, not billed) until the row is due
 * again, honouring the provider's Retry-After; the reconcile-sessions sweep covers anything left.
 */
export const sendNotificationTask = schemaTask({
  id: "send-notification",
  schema: z.object({ notificationId: z.uuid() }),
  maxDuration: 30 * 60,
  retry: { maxAttempts: 3, minTimeoutInMs: 1000, maxTimeoutInMs: 30_000, factor: 2 },
  run: async ({ notificationId }) => {
    const deps = taskRuntime();
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const result = await deliverDueNotifications(deps, { onlyId: notificationId, limit: 1 });
      if (result.retried === 0) return result;
      const due = await pendingNotificationDueAt(deps.sql, notificationId);
      if (!due) return result;
      logger.info("notification will be retried", { notificationId, due: due.toISOString() });
      await wait.until({ date: due });
    }
    return { sent: 0, retried: 1, failed: 0 };
  },
});
