import type { Sql } from "@/lib/db/client.ts";
import { readNotificationSettings, updateNotificationSettings } from "@/lib/db/notification-settings.ts";
import { AppError } from "@/lib/errors.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { readJsonBody, route } from "@/lib/http/route.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { settingsSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";
import { settingsPatchSchema } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, DELETE, OPTIONS } = otherMethods("GET", "PATCH");

async function settingsOf(sql: Sql, userId: string) {
  const settings = await readNotificationSettings(sql, userId);
  if (!settings) throw new AppError("not_found:profile", "No profile for this account.");
  return wireJson(settingsSchema, settings);
}

/** `{ email, notifyEmail, notifyTelegram, telegram: { linked, username } }` */
export const GET = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  return settingsOf(runtime.sql, user.id);
});

/** `{ notifyEmail?, notifyTelegram? }` → the settings after the change. */
export const PATCH = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const change = parseWith(
    settingsPatchSchema,
    await readJsonBody(request, "settings", 4096),
    "bad_request:settings",
  );
  await updateNotificationSettings(runtime.sql, user.id, change);
  return settingsOf(runtime.sql, user.id);
});
