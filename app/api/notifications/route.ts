import { requireUser } from "@/lib/auth/index.ts";
import { getSql } from "@/lib/db/client.ts";
import { listNotifications } from "@/lib/db/notification-outbox.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** The caller's last 50 notifications with their delivery status, newest first. */
export const GET = route(async (request) => {
  const user = await requireUser(request);
  return Response.json(await listNotifications(getSql(), user.id));
});
