import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Sql } from "../db/client.ts";
import {
  createLinkToken,
  linkChatWithToken,
  recordTelegramUpdate,
  unlinkChat,
} from "../db/telegram-links.ts";
import type { Env } from "../env.ts";
import { logError } from "../log.ts";
import { telegramApi } from "./telegram.ts";

function hashToken(token: string): string {
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

/** The part of an Update the bot reads; any other update is acknowledged and ignored. */
export const telegramUpdateSchema = z.object({
  update_id: z.number().int(),
  message: z
    .object({
      text: z.string().optional(),
      chat: z.object({ id: z.number().int(), type: z.string() }),
      from: z.object({ username: z.string().optional() }).optional(),
    })
    .optional(),
});

export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>;

const REPLIES = {
  linked: "Linked. You will get a message here when a session you left running ends.",
  invalid:
    "This link was already used or has expired, so nothing was linked. Open Settings in Overtime and press “Link Telegram” for a new one.",
  stopped: "Unlinked. You will not get notifications here any more. Link again from Settings in Overtime.",
  notLinked: "This chat was not linked, so there is nothing to stop.",
  help: "I send a message when a session you left running in Overtime ends. To link this chat, press “Link Telegram” in Settings. Send /stop to unlink.",
};

/**
 * Handles one webhook update once (by update_id): `/start <token>` links the chat, `/stop` unlinks
 * it, anything else gets a short help text. Returns the reply it sent, or null for a repeat.
 */
export async function handleTelegramUpdate(
  sql: Sql,
  env: Env,
  update: TelegramUpdate,
): Promise<string | null> {
  const message = update.message;
  const reply = await sql.begin(async (tx) => {
    if (!(await recordTelegramUpdate(tx, update.update_id))) return null;
    if (message?.chat.type !== "private") return null;
    const [command, argument] = (message.text ?? "").trim().split(/\s+/, 2);
    const name = command?.replace(/@\w+$/, "");
    if (name === "/start" && argument) {
      const linked = await linkChatWithToken(tx, {
        tokenHash: hashToken(argument),
        chatId: message.chat.id,
        username: message.from?.username ?? null,
      });
      return REPLIES[linked];
    }
    if (name === "/stop")
      return (await unlinkChat(tx, message.chat.id)) ? REPLIES.stopped : REPLIES.notLinked;
    return REPLIES.help;
  });
  if (reply && message) {
    // The state change is committed; a reply that cannot be sent only costs the user a confirmation.
    await telegramApi(env)
      .sendMessage(message.chat.id, reply)
      .catch((error: unknown) => logError("telegram reply failed", { updateId: update.update_id, error }));
  }
  return reply;
}

/** Registers `<APP_URL>/api/telegram/webhook` and the secret with Telegram (`npm run telegram:webhook`). */
export async function registerTelegramWebhook(env: Env): Promise<string> {
  const url = `${env.APP_URL.replace(/\/$/, "")}/api/telegram/webhook`;
  await telegramApi(env).setWebhook(url, {
    secret_token: env.TELEGRAM_WEBHOOK_SECRET,
    allowed_updates: ["message"],
  });
  return url;
}
