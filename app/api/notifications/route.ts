import { listNotifications } from "@/lib/db/notification-outbox.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { userRoute } from "@/lib/http/user-route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { notificationListSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** The caller's last 50 notifications with their delivery status, newest first. */
export const GET = userRoute(processRuntime, async (_request, user, runtime) => {
  return wireJson(notificationListSchema, await listNotifications(runtime.sql, user.id));
});
