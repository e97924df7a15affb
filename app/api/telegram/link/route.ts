import { unlinkTelegramChat } from "@/lib/db/telegram-links.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { userRoute } from "@/lib/http/user-route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { createTelegramLink } from "@/lib/notify/telegram-linking.ts";
import { telegramLinkSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, OPTIONS } = otherMethods("POST", "DELETE");

/** A one-time deep link `{ url, expiresAt }` (15 minutes) that links the chat it is opened in. */
export const POST = userRoute(processRuntime, async (_request, user, runtime) => {
  return wireJson(telegramLinkSchema, await createTelegramLink(runtime.sql, runtime.env, user.id));
});

/** Unlinks the caller's Telegram chat. */
export const DELETE = userRoute(processRuntime, async (_request, user, runtime) => {
  await unlinkTelegramChat(runtime.sql, user.id);
  return new Response(null, { status: 204 });
});
