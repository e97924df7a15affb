import type { Sql } from "./client.ts";

/**
 * The user's credit balance: the sum of their ledger, in credits exact to the millionth (a decimal:
 * runs are debited what they cost, see `creditsFor`).
 */
export async function getCreditBalance(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql<{ balance: string }[]>`
    select coalesce(sum(amount), 0)::text as balance from credit_ledger where user_id = ${userId}`;
  return Number(row?.balance ?? 0);
}

/** Grants the signup credits once per user (idempotent); nothing when `amount` is 0. */
export async function grantSignupCredits(sql: Sql, userId: string, amount: number): Promise<void> {
  if (amount <= 0) return;
  await sql`
    insert into credit_ledger (user_id, amount, kind, idempotency_key)
    values (${userId}, ${amount}, 'grant', ${`signup:${userId}`})
    on conflict (idempotency_key) do nothing`;
}
