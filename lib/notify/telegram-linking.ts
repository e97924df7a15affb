import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Sql } from "../db/client.ts";
import { createLinkToken } from "../db/telegram-links.ts";
import type { Env } from "../env.ts";
import { telegramApi } from "./telegram.ts";
import { BOT_COMMANDS } from "./telegram-chat/chat-texts.ts";

/** A link token as stored: only its SHA-256. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * A one-time deep link `https://t.me/<bot>?start=<token>`: 32 random bytes (43 base64url
 * characters, within Telegram's 64), only the hash stored, valid 15 minutes.
 */
export async function createTelegramLink(
  sql: Sql,
  env: Env,
  userId: string,
): Promise<{ url: string; expiresAt: string }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = await createLinkToken(sql, userId, hashToken(token));
  return {
    url: `https://t.me/${env.TELEGRAM_BOT_USERNAME}?start=${token}`,
    expiresAt: expiresAt.toISOString(),
  };
}

/** `X-Telegram-Bot-Api-Secret-Token` compared in constant time (hashes have equal length). */
export function isWebhookSecretValid(env: Env, header: string | null): boolean {
  const expected = createHash("sha256").update(env.TELEGRAM_WEBHOOK_SECRET).digest();
  const given = createHash("sha256")
    .update(header ?? "")
    .digest();
  return header !== null && timingSafeEqual(expected, given);
}

/**
 * Registers `<APP_URL>/api/telegram/webhook` and the secret with Telegram, and the bot's commands
 * with `setMyCommands` (`npm run telegram:webhook`).
 */
export async function registerTelegramWebhook(env: Env): Promise<string> {
  const url = `${env.APP_URL.replace(/\/$/, "")}/api/telegram/webhook`;
  const api = telegramApi(env);
  await api.setWebhook(url, {
    secret_token: env.TELEGRAM_WEBHOOK_SECRET,
    allowed_updates: ["message", "callback_query"],
  });
  await api.setMyCommands(BOT_COMMANDS.map(({ command, description }) => ({ command, description })));
  return url;
}
