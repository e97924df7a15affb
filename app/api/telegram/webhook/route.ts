import { getSql } from "@/lib/db/client.ts";
import { getEnv } from "@/lib/env.ts";
import { AppError } from "@/lib/errors.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { readJsonBody, route } from "@/lib/http/route.ts";
import { parseWith } from "@/lib/http/validate.ts";
import {
  handleTelegramUpdate,
  isWebhookSecretValid,
  telegramUpdateSchema,
} from "@/lib/notify/telegram-linking.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** Telegram's updates for the bot: the secret header first (constant time), then each update once. */
export const POST = route(async (request) => {
  const env = getEnv();
  if (!isWebhookSecretValid(env, request.headers.get("x-telegram-bot-api-secret-token"))) {
    throw new AppError("unauthorized:telegram_secret", "Wrong or missing X-Telegram-Bot-Api-Secret-Token.");
  }
  const update = parseWith(
    telegramUpdateSchema,
    await readJsonBody(request, "telegram_update", 256 * 1024),
    "bad_request:telegram_update",
  );
  await handleTelegramUpdate(getSql(), env, update);
  return Response.json({ ok: true });
});
