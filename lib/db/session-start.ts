import type { TransactionSql } from "postgres";
import type { StartedSession, StartSessionInput } from "../session/ports.ts";
import { type AdmissionResult, admitSession } from "./admission.ts";
import type { Sql } from "./client.ts";

export type { StartedSession, StartSessionInput } from "../session/ports.ts";

type AdmissionRefused = Exclude<AdmissionResult, { admitted: true }>;

/**
 * Admits the session (per-user limits and credits, see `admitSession`) and creates (or continues)
 * the conversation, the user message and the session in one transaction. Returns "not_found" when
 * `conversationId` is not one of the user's conversations, or the refused admission.
 */
export async function startSession(
  sql: Sql,
  input: StartSessionInput & Required<Pick<StartSessionInput, "admission">>,
): Promise<StartedSession | "not_found" | AdmissionRefused>;
export async function startSession(sql: Sql, input: StartSessionInput): Promise<StartedSession | "not_found">;
export async function startSession(
  sql: Sql,
  input: StartSessionInput,
): Promise<StartedSession | "not_found" | AdmissionRefused> {
  return sql.begin(async (tx) => {
    if (input.admission) {
      const admission = await admitSession(tx, {
        ...input.admission,
        userId: input.userId,
        live: input.status === "live",
      });
      if (!admission.admitted) return admission;
    }
    let conversationId =
      input.conversationId ?? (input.chatId ? await chatConversation(tx, input) : undefined);
    if (conversationId) {
      const [owned] = await tx`
        update conversations set updated_at = now()
        where id = ${conversationId} and user_id = ${input.userId} returning id`;
      if (!owned) return "not_found" as const;
    } else {
      const [created] = await tx<{ id: string }[]>`
        insert into conversations (user_id, title) values (${input.userId}, ${input.title}) returning id`;
      conversationId = created!.id;
    }
    const message =
      (input.regenerate && (await reopenLastTurn(tx, conversationId))) ||
      (await insertUserMessage(tx, conversationId, input));
    const [session] = await tx<{ id: string; epoch: number }[]>`
      insert into sessions (user_id, conversation_id, user_message_id, agent, title, mode, status, runner,
                            lease_owner, lease_expires_at, started_at, max_credits)
      values (${input.userId}, ${conversationId}, ${message!.id}, ${input.agent}, ${input.title}, ${input.mode},
              ${input.status}, ${input.runner}, ${input.leaseOwner},
              now() + make_interval(secs => ${input.leaseSeconds}), now(), ${input.maxCredits ?? null})
      returning id, epoch`;
    return { sessionId: session!.id, conversationId, userMessageId: message!.id, epoch: session!.epoch };
  });
}

type Tx = TransactionSql;

async function insertUserMessage(
  tx: Tx,
  conversationId: string,
  input: StartSessionInput,
): Promise<{ id: string }> {
  const [message] = await tx<{ id: string }[]>`
    insert into messages (conversation_id, user_id, role, content)
    values (${conversationId}, ${input.userId}, 'user', ${input.message}) returning id`;
  return message!;
}

/** The user's conversation named `chatId`, created (with that id) on first use. */
async function chatConversation(tx: Tx, input: StartSessionInput): Promise<string> {
  // Two first messages of one new chat at once: the unique index lets one insert win; both read it.
  await tx`
    insert into conversations (user_id, title, chat_id) values (${input.userId}, ${input.title}, ${input.chatId!})
    on conflict (user_id, chat_id) where chat_id is not null do nothing`;
  const [row] = await tx<{ id: string }[]>`
    select id from conversations where user_id = ${input.userId} and chat_id = ${input.chatId!}`;
  return row!.id;
}

/**
 * Regenerate: the conversation's last user message starts the new session again, and the answers
 * given to it so far are deleted (the new session's answer replaces them). Null: no user message yet.
 */
async function reopenLastTurn(tx: Tx, conversationId: string): Promise<{ id: string } | null> {
  const [last] = await tx<{ id: string; created_at: Date }[]>`
    select id, created_at from messages where conversation_id = ${conversationId} and role = 'user'
    order by created_at desc limit 1`;
  if (!last) return null;
  await tx`
    delete from messages where conversation_id = ${conversationId} and role = 'assistant'
      and created_at >= ${last.created_at}`;
  return { id: last.id };
}

/**
 * Earlier turns of a conversation, oldest first, for the agent's context. An answer's text is read
 * from its session's log (stored once; '' once the retention sweep deleted it).
 */
export async function readConversationMessages(
  sql: Sql,
  conversationId: string,
): Promise<
  { id: string; role: "user" | "assistant"; content: string; sessionId: string | null; createdAt: Date }[]
> {
  const rows = await sql<
    { id: string; role: "user" | "assistant"; content: string; session_id: string | null; created_at: Date }[]
  >`
    select id, role, coalesce(content, public.session_output(session_id)) as content, session_id, created_at
    from messages
    where conversation_id = ${conversationId} order by created_at, role desc`;
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    content: row.content,
    sessionId: row.session_id,
    createdAt: row.created_at,
  }));
}
