import { listNotifications } from "@/lib/db/notification-outbox.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { notificationListSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** The caller's last 50 notifications with their delivery status, newest first. */
export const GET = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  return wireJson(notificationListSchema, await listNotifications(runtime.sql, user.id));
});
