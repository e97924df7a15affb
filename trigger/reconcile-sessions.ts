import { logger, schedules } from "@trigger.dev/sdk";
import { getSql } from "../lib/db/client.ts";
import { getEnv } from "../lib/env.ts";
import { deliverDueNotifications } from "../lib/notify/sender.ts";
import { recoverExpiredSessions } from "../lib/session/reconcile.ts";

/**
 * Every minute: sessions whose runner died (lease expired) are re-dispatched from their checkpoint,
 * and notifications still due (a lost trigger, a sender that died mid-send) are sent.
 */
export const reconcileSessionsTask = schedules.task({
  id: "reconcile-sessions",
  cron: "* * * * *",
  run: async () => {
    const redispatched = await recoverExpiredSessions();
    if (redispatched.length > 0) logger.info("re-dispatched sessions", { sessionIds: redispatched });
    const notifications = await deliverDueNotifications({ sql: getSql(), env: getEnv() }, { limit: 100 });
    return { redispatched: redispatched.length, notifications };
  },
});
