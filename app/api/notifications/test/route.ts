import { otherMethods } from "@/lib/http/methods.ts";
import { readJsonBody, route } from "@/lib/http/route.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { sendTestNotification } from "@/lib/notify/test-notification.ts";
import { testNotificationAcceptedSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";
import { testNotificationSchema } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** `{ channel }` → 202 `{ id, channel, status: "pending" }`: queued for the sender like any other. */
export const POST = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const { channel } = parseWith(
    testNotificationSchema,
    await readJsonBody(request, "notification_test", 4096),
    "bad_request:notification_test",
  );
  const id = await sendTestNotification(runtime.sql, runtime.env, user.id, channel);
  return wireJson(testNotificationAcceptedSchema, { id, channel, status: "pending" }, { status: 202 });
});
