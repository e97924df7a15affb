import { logger, schedules } from "@trigger.dev/sdk";
import { reconcileExpiredLeases } from "../lib/session/reconcile.ts";

/** Every minute: sessions whose runner died (lease expired) are re-dispatched from their checkpoint. */
export const reconcileSessionsTask = schedules.task({
  id: "reconcile-sessions",
  cron: "* * * * *",
  run: async () => {
    const redispatched = await reconcileExpiredLeases();
    if (redispatched.length > 0) logger.info("re-dispatched sessions", { sessionIds: redispatched });
    return { redispatched: redispatched.length };
  },
});
