import { unlinkTelegramChat } from "@/lib/db/telegram-links.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { createTelegramLink } from "@/lib/notify/telegram-linking.ts";
import { telegramLinkSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, OPTIONS } = otherMethods("POST", "DELETE");

/** A one-time deep link `{ url, expiresAt }` (15 minutes) that links the chat it is opened in. */
export const POST = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  return wireJson(telegramLinkSchema, await createTelegramLink(runtime.sql, runtime.env, user.id));
});

/** Unlinks the caller's Telegram chat. */
export const DELETE = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  await unlinkTelegramChat(runtime.sql, user.id);
  return new Response(null, { status: 204 });
});
