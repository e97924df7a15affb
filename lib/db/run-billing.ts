import type postgres from "postgres";
import { creditsFor } from "../credits.ts";
import { TERMINAL_STATUSES } from "../lifecycle.ts";
import type { MeterReading, MeterStep, RunBill, SessionUsage } from "../session/ports.ts";
import type { Sql } from "./client.ts";

export { CREDITS_PER_USD, creditsFor, MICROCREDITS_PER_CREDIT, microCreditsFor } from "../credits.ts";
export type { MeterReading, MeterStep, MeterVerdict, RunBill, SessionUsage } from "../session/ports.ts";

/**
 * Bills one agent run exactly once: adds its usage and cost to the session's totals and writes its
 * debit, keyed by session, epoch and run (unique), so a retried completion debits nothing more.
 * The run's metered hold (`metered_credits`) is released in the same statement as the totals change,
 * so the spendable balance never counts the run twice or not at all.
 */
export async function billRun(tx: postgres.TransactionSql | Sql, bill: RunBill): Promise<void> {
  const key = `${bill.epoch}:${bill.run}`;
  const [row] = await tx<{ user_id: string }[]>`
    update sessions set
      usage = jsonb_build_object(
        'inputTokens', coalesce((usage ->> 'inputTokens')::bigint, 0) + ${bill.usage.inputTokens},
        'outputTokens', coalesce((usage ->> 'outputTokens')::bigint, 0) + ${bill.usage.outputTokens},
        'estimated', coalesce((usage ->> 'estimated')::boolean, false) or ${bill.usage.estimated}),
      cost_usd = coalesce(cost_usd, 0) + ${bill.costUsd},
      billed_runs = array_append(billed_runs, ${key}),
      metered_credits = case when metered_epoch = ${bill.epoch} then 0 else metered_credits end,
      metered_usage = case when metered_epoch = ${bill.epoch} then null else metered_usage end,
      updated_at = now()
    where id = ${bill.sessionId} and not (${key} = any(billed_runs))
    returning user_id`;
  const credits = creditsFor(bill.costUsd);
  if (!row || credits === 0) return;
  await tx`
    insert into credit_ledger (user_id, amount, kind, idempotency_key, session_id, epoch, run)
    values (${row.user_id}, ${-credits}::numeric, 'debit', ${`session:${bill.sessionId}:epoch:${bill.epoch}:run:${bill.run}`},
            ${bill.sessionId}, ${bill.epoch}, ${bill.run})
    on conflict do nothing`;
}

/** Bills a run in its own transaction (a run that ends without ending the session: handoff, fence). */
export async function billRunAlone(sql: Sql, bill: RunBill): Promise<void> {
  await sql.begin((tx) => billRun(tx, bill));
}

/**
 * One metering step of a running run: records the credits it has used so far (its hold on the
 * balance) and says whether it must stop. Running sessions share the balance: the verdict compares
 * the ledger with what every active session of the user holds. Concurrent steps of different
 * sessions do not see each other's uncommitted hold, so each can pass the balance by at most one
 * step before its next step stops it. The reading's `headroom` is where the run's next step must be
 * taken so that it stops at the balance or cap, not past it. A stale producer (epoch moved on)
 * records nothing.
 */
export async function meterRun(sql: Sql, step: MeterStep): Promise<MeterReading> {
  const terminal = [...TERMINAL_STATUSES];
  // Every comparison is made on exact numerics in SQL, never on JavaScript sums of them.
  const [row] = await sql<{ over_cap: boolean; out_of_credits: boolean; headroom: string }[]>`
    with me as (
      update sessions set metered_credits = ${step.credits}::numeric, metered_epoch = ${step.epoch},
                          metered_usage = ${sql.json({ ...step.bill.usage, costUsd: step.bill.costUsd })}
      where id = ${step.sessionId} and epoch = ${step.epoch}
      returning id, user_id, max_credits, metered_credits
    ), totals as (
      select me.max_credits, me.metered_credits,
        (select coalesce(sum(l.amount), 0) from credit_ledger l where l.user_id = me.user_id) as balance,
        (select coalesce(sum(s.metered_credits), 0) from sessions s
         where s.user_id = me.user_id and s.id <> me.id and s.status <> all(${terminal}::text[])) as held,
        (select coalesce(-sum(l.amount), 0) from credit_ledger l
         where l.session_id = me.id and l.kind = 'debit') as session_debits
      from me
    )
    select coalesce(session_debits + metered_credits >= max_credits, false) as over_cap,
           held + metered_credits >= balance as out_of_credits,
           least(balance - held, coalesce(max_credits - session_debits, balance - held))
             - metered_credits as headroom
    from totals`;
  if (!row) return { verdict: "ok", headroom: null };
  const verdict = row.over_cap ? "over_cap" : row.out_of_credits ? "out_of_credits" : "ok";
  return { verdict, headroom: Number(row.headroom) };
}

/**
 * Bills the run of a producer that died before billing it, from its last metering step (estimated):
 * called when another producer takes a connection-bound session over, and when a session is ended
 * without its producer. Idempotent with the producer's own bill (same session, epoch and run).
 */
export async function billAbandonedRun(sql: Sql, sessionId: string): Promise<void> {
  const [row] = await sql<
    {
      metered_epoch: number | null;
      metered_usage: { inputTokens: number; outputTokens: number; costUsd: number } | null;
    }[]
  >`select metered_epoch, metered_usage from sessions where id = ${sessionId}`;
  if (!row?.metered_usage || row.metered_epoch === null) return;
  const { inputTokens, outputTokens, costUsd } = row.metered_usage;
  await billRunAlone(sql, {
    sessionId,
    epoch: row.metered_epoch,
    run: 1,
    usage: { inputTokens, outputTokens, estimated: true },
    costUsd,
  });
}

/** A session's usage totals over its billed runs, and their cost. */
export async function readSessionUsage(sql: Sql, sessionId: string): Promise<SessionUsage> {
  const [row] = await sql<
    {
      usage: { inputTokens: number; outputTokens: number; estimated: boolean } | null;
      cost_usd: string | null;
    }[]
  >`
    select usage, cost_usd from sessions where id = ${sessionId}`;
  return { usage: row?.usage ?? null, costUsd: row?.cost_usd == null ? null : Number(row.cost_usd) };
}
