import type { TransactionSql } from "postgres";
import type { Sql } from "./client.ts";

/** Stores a one-time link token's hash for 15 minutes; returns when it expires. */
export async function createLinkToken(sql: Sql, userId: string, tokenHash: string): Promise<Date> {
  const [row] = await sql<{ expires_at: Date }[]>`
    insert into telegram_link_tokens (token_hash, user_id, expires_at)
    values (${tokenHash}, ${userId}, now() + interval '15 minutes')
    returning expires_at`;
  return (row as { expires_at: Date }).expires_at;
}

/**
 * Spends an unused, unexpired token and links its user to the chat (a chat belongs to one user: a
 * previous owner of the chat is unlinked). "invalid" for a used, expired or unknown token.
 */
export async function linkChatWithToken(
  tx: TransactionSql,
  input: { tokenHash: string; chatId: number; username: string | null },
): Promise<"linked" | "invalid"> {
  const [token] = await tx<{ user_id: string }[]>`
    update telegram_link_tokens set used_at = now()
    where token_hash = ${input.tokenHash} and used_at is null and expires_at > now()
    returning user_id`;
  if (!token) return "invalid";
  await tx`delete from telegram_links where chat_id = ${input.chatId} and user_id <> ${token.user_id}`;
  await tx`
    insert into telegram_links (user_id, chat_id, username) values (${token.user_id}, ${input.chatId}, ${input.username})
    on conflict (user_id) do update set chat_id = excluded.chat_id, username = excluded.username, linked_at = now()`;
  return "linked";
}

/** Unlinks whichever user this chat belongs to (`/stop`); whether one was linked. */
export async function unlinkChat(tx: TransactionSql | Sql, chatId: number): Promise<boolean> {
  const rows = await tx`delete from telegram_links where chat_id = ${chatId} returning user_id`;
  return rows.length > 0;
}

/** Unlinks a user's chat (Unlink on the settings page, or the bot was blocked). */
export async function unlinkTelegramChat(sql: Sql, userId: string): Promise<void> {
  await sql`delete from telegram_links where user_id = ${userId}`;
}
