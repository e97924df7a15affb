import { randomUUID } from "node:crypto";
import type { Inbox } from "../../dev/inbox/server.ts";
import type { Sql } from "../../lib/db/client.ts";
import { finishSession } from "../../lib/db/session-finish.ts";

/** A fresh user (its profile comes from the auth trigger) with 1,000 credits. */
export async function createUser(sql: Sql, label: string): Promise<{ id: string; email: string }> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const [user] = await sql<{ id: string }[]>`
    insert into auth.users (email, email_confirmed_at) values (${email}, now()) returning id`;
  const id = (user as { id: string }).id;
  await sql`insert into credit_ledger (user_id, amount, kind, idempotency_key)
            values (${id}, 1000, 'grant', ${`test:${id}`})`;
  return { id, email };
}

/** Links a Telegram chat to the user, and makes the Telegram stand-in know that chat. */
export async function linkTelegram(sql: Sql, inbox: Inbox, userId: string, chatId: number): Promise<void> {
  inbox.telegram.chats.set(chatId, { id: chatId, username: `user${chatId}`, blocked: false });
  await sql`insert into telegram_links (user_id, chat_id, username) values (${userId}, ${chatId}, ${`user${chatId}`})`;
}

export interface EndedSessionInput {
  userId: string;
  title?: string;
  /** Who ran it to the end: `live` (the chat route) or a background runner (default `worker`). */
  runner?: "live" | "worker" | "trigger";
  clientLeft?: boolean;
  /** Default `completed`. */
  status?: "completed" | "failed" | "cancelled";
  /** Default `x`. */
  output?: string;
  error?: { code: string; message: string };
  /** The agent reported no usage: the counts are estimates. */
  estimated?: boolean;
}

/** A session that ran for 125 s and ended through the real fenced finish. */
export async function endSession(sql: Sql, ended: EndedSessionInput): Promise<string> {
  const input = { runner: "worker", status: "completed", output: "x", ...ended } as const;
  const [conversation] = await sql<{ id: string }[]>`
    insert into conversations (user_id, title) values (${input.userId}, 'c') returning id`;
  const [session] = await sql<{ id: string }[]>`
    insert into sessions (user_id, conversation_id, agent, title, mode, status, runner, epoch, started_at,
                          client_left_at, durable_offset)
    values (${input.userId}, ${conversation!.id}, 'sim-openclaw', ${input.title ?? "Summarise the offsets"},
            ${input.runner === "live" ? "live" : "background"}, ${input.runner === "live" ? "live" : "background"},
            ${input.runner}, 1, now() - interval '125 seconds',
            ${input.clientLeft ? new Date() : null}, ${Buffer.byteLength(input.output)})
    returning id`;
  const sessionId = session!.id;
  if (input.output) {
    await sql`insert into session_chunks (session_id, start_offset, end_offset, text, epoch)
              values (${sessionId}, 0, ${Buffer.byteLength(input.output)}, ${input.output}, 1)`;
  }
  const result = await finishSession(sql, {
    sessionId,
    epoch: 1,
    status: input.status,
    run: {
      run: 1,
      usage: { inputTokens: 45, outputTokens: 2234, estimated: input.estimated ?? false },
      costUsd: 0.0383,
    },
    error: input.error ?? null,
  });
  if (result !== "ok") throw new Error(`finish was ${result}`);
  return sessionId;
}

export { inboxFor, injectFault } from "../support/inbox.ts";
