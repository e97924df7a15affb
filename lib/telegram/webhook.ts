import { webhookCallback } from "grammy";
import { z } from "zod";
import { readJsonBody } from "../http/route.ts";
import { parseWith } from "../http/validate.ts";
import { createOvertimeBot } from "./bot.ts";
import type { ChatSessionDeps } from "./start-from-chat.ts";

/** Any update: grammY reads the rest; only the id is required (it is what makes handling once possible). */
const updateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

/**
 * POST /api/telegram/webhook after the secret check: the update (at most 256 KiB, with an
 * `update_id`, else 400) handed to the grammY bot through `webhookCallback`. Slow work (a live
 * runner, a cancel) is deferred, so Telegram gets its answer at once.
 */
export async function handleTelegramWebhook(request: Request, deps: ChatSessionDeps): Promise<Response> {
  const update = parseWith(
    updateSchema,
    await readJsonBody(request, "telegram_update", 256 * 1024),
    "bad_request:telegram_update",
  );
  const handle = webhookCallback(createOvertimeBot(deps), "std/http", {
    secretToken: deps.env.TELEGRAM_WEBHOOK_SECRET,
  });
  return handle(
    new Request(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": deps.env.TELEGRAM_WEBHOOK_SECRET,
      },
      body: JSON.stringify(update),
    }),
  );
}
