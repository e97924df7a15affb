import { logger, schedules } from "@trigger.dev/sdk";
import { deliverDueNotifications } from "../lib/notify/sender.ts";
import { recoverExpiredSessions } from "../lib/session/reconcile.ts";
import { taskRuntime } from "./runtime.ts";

/**
 * Every minute: sessions whose runner died (lease expired) are re-dispatched from their checkpoint,
 * and notifications still due (a lost trigger, a sender that died mid-send) are sent.
 */
export const reconcileSessionsTask = schedules.task({
  id: "reconcile-sessions",
  cron: "* * * * *",
  run: async () => {
    const runtime = taskRuntime();
    const redispatched = await recoverExpiredSessions(runtime);
    if (redispatched.length > 0) logger.info("re-dispatched sessions", { sessionIds: redispatched });
    const notifications = await deliverDueNotifications(runtime, { limit: 100 });
    return { redispatched: redispatched.length, notifications };
  },
});
