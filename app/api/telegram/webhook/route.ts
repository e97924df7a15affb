import { after } from "next/server";
import { AppError } from "@/lib/errors.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { logError } from "@/lib/log.ts";
import { isWebhookSecretValid } from "@/lib/notify/telegram-linking.ts";
import { handleTelegramWebhook } from "@/lib/telegram/webhook.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// A session started from Telegram may run live here after the answer (then hands off at the budget).
export const maxDuration = 800;

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** Telegram's updates for the bot: the secret header first (constant time), then the grammY bot. */
export const POST = route(async (request) => {
  const runtime = processRuntime();
  if (!isWebhookSecretValid(runtime.env, request.headers.get("x-telegram-bot-api-secret-token"))) {
    throw new AppError("unauthorized:telegram_secret", "Wrong or missing X-Telegram-Bot-Api-Secret-Token.");
  }
  return handleTelegramWebhook(request, {
    ...runtime,
    defer: (work) =>
      after(() => work().catch((error: unknown) => logError("deferred telegram work failed", { error }))),
  });
});
