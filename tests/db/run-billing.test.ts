import { expect, test } from "vitest";
import { billAbandonedRun, billRun, billRunAlone, meterRun } from "../../lib/db/run-billing.ts";
import { finishSession } from "../../lib/db/session-finish.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import { insertUserWithCredits, withTestDatabase } from "../support/database.ts";

const { sql } = await withTestDatabase(8);

async function newSession(userId: string, maxCredits: number | null = null): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${userId}) returning id`;
  const [session] = await sql`
    insert into sessions (user_id, conversation_id, agent, status, lease_owner, lease_expires_at, max_credits)
    values (${userId}, ${conversation!.id}, 'agent', 'live', 'test', now() + interval '1 minute', ${maxCredits})
    returning id`;
  return session!.id as string;
}

/** The ledger's exact sum, as Postgres prints it (numeric(20, 6) credits). */
const balanceOf = async (userId: string) =>
  (
    await sql<
      { balance: string }[]
    >`select coalesce(sum(amount), 0)::text as balance from credit_ledger where user_id = ${userId}`
  )[0]!.balance;

/** The run's verdict alone. */
const verdictOf = async (reading: Promise<{ verdict: string }>) => (await reading).verdict;

const usage = (inputTokens: number, outputTokens: number, estimated = false) => ({
  inputTokens,
  outputTokens,
  estimated,
});

/** A metering step of `credits`, with the run's estimated usage so far. */
const step = (sessionId: string, epoch: number, credits: number) => ({
  sessionId,
  epoch,
  credits,
  bill: { usage: usage(10, credits * 600, true), costUsd: credits / 100 - 0.001 },
});

test("a retried completion (ten at once) debits its run once, keyed by session, epoch and run", async () => {
  const userId = await insertUserWithCredits(sql, 100);
  const sessionId = await newSession(userId);
  await appendCheckpoint(sql, { sessionId, epoch: 1, startOffset: 0, text: "answer", leaseSeconds: 30 });
  const finish = () =>
    finishSession(sql, {
      sessionId,
      epoch: 1,
      status: "completed",
      run: { run: 1, usage: usage(10, 20), costUsd: 0.123 },
      error: null,
    });
  expect(await Promise.all(Array.from({ length: 10 }, finish))).toEqual(Array(10).fill("ok"));
  const debits = await sql`select amount, epoch, run, idempotency_key from credit_ledger
                           where session_id = ${sessionId} and kind = 'debit'`;
  expect(debits.map((row) => [row.amount, row.epoch, row.run])).toEqual([["-12.300000", 1, 1]]);
  const [row] = await sql`select usage, cost_usd from sessions where id = ${sessionId}`;
  expect(row!.usage).toEqual(usage(10, 20));
  expect(Number(row!.cost_usd)).toBeCloseTo(0.123, 6);
  // The unique key holds even against a writer that bypasses billRun.
  await expect(
    sql`insert into credit_ledger (user_id, amount, kind, idempotency_key, session_id, epoch, run)
        values (${userId}, -1, 'debit', 'another-key', ${sessionId}, 1, 1)`,
  ).rejects.toThrow(/credit_ledger_one_debit_per_run/);
});

test("a continued session bills each run: the interrupted one (estimated) and the continuation", async () => {
  const userId = await insertUserWithCredits(sql, 100);
  const sessionId = await newSession(userId);
  await billRunAlone(sql, { sessionId, epoch: 1, run: 1, usage: usage(100, 5000, true), costUsd: 0.0753 });
  await billRunAlone(sql, { sessionId, epoch: 1, run: 1, usage: usage(100, 5000, true), costUsd: 0.0753 });
  await sql`update sessions set epoch = 3 where id = ${sessionId}`;
  await finishSession(sql, {
    sessionId,
    epoch: 3,
    status: "completed",
    run: { run: 1, usage: usage(6000, 2000), costUsd: 0.048 },
    error: null,
  });
  const debits = await sql`select amount, epoch, run from credit_ledger
                           where session_id = ${sessionId} order by epoch`;
  expect(debits.map((row) => [row.amount, row.epoch, row.run])).toEqual([
    ["-7.530000", 1, 1],
    ["-4.800000", 3, 1],
  ]);
  const [row] = await sql`select usage, cost_usd from sessions where id = ${sessionId}`;
  expect(row!.usage).toEqual(usage(6100, 7000, true));
  expect(Number(row!.cost_usd)).toBeCloseTo(0.1233, 6);
  const [message] =
    await sql`select input_tokens, output_tokens from messages where session_id = ${sessionId}`;
  expect(message).toEqual({ input_tokens: 6100, output_tokens: 7000 });
  expect(await balanceOf(userId)).toBe("87.670000");
});

test("running sessions share the balance: the step that reaches it stops its session", async () => {
  const userId = await insertUserWithCredits(sql, 5);
  const [a, b] = [await newSession(userId), await newSession(userId)];
  expect(await meterRun(sql, step(a, 1, 2))).toEqual({ verdict: "ok", headroom: 3 });
  expect(await meterRun(sql, step(b, 1, 2))).toEqual({ verdict: "ok", headroom: 1 });
  expect(await verdictOf(meterRun(sql, step(a, 1, 3)))).toBe("out_of_credits");
  // A stale producer records nothing and is not stopped by this check (its fence stops it).
  expect(await meterRun(sql, step(b, 7, 50))).toEqual({ verdict: "ok", headroom: null });
  const held =
    await sql`select metered_credits from sessions where id in (${a}, ${b}) order by metered_credits`;
  expect(held.map((row) => row.metered_credits)).toEqual(["2.000000", "3.000000"]);
  // Billing the run releases its hold in the same statement.
  await billRun(sql, { sessionId: a, epoch: 1, run: 1, usage: usage(1, 1, true), costUsd: 0.025 });
  const [row] = await sql`select metered_credits from sessions where id = ${a}`;
  expect(row!.metered_credits).toBe("0.000000");
  expect(await balanceOf(userId)).toBe("2.500000");
});

test("a session's maxCredits caps it, counting the runs it was already billed for", async () => {
  const userId = await insertUserWithCredits(sql, 1000);
  const sessionId = await newSession(userId, 5);
  await billRunAlone(sql, { sessionId, epoch: 1, run: 1, usage: usage(1, 1, true), costUsd: 0.03 });
  expect(await meterRun(sql, step(sessionId, 1, 1))).toEqual({ verdict: "ok", headroom: 1 });
  expect(await verdictOf(meterRun(sql, step(sessionId, 1, 2)))).toBe("over_cap");
});

test("a session stopped out of credits enqueues out_of_credits notifications, also when it ran live", async () => {
  const userId = await insertUserWithCredits(sql, 1);
  const sessionId = await newSession(userId);
  await finishSession(sql, {
    sessionId,
    epoch: 1,
    status: "failed",
    run: { run: 1, usage: usage(10, 900, true), costUsd: 0.0135 },
    error: { code: "payment_required:credits", message: "out" },
  });
  const rows =
    await sql`select channel, kind from notifications where session_id = ${sessionId} order by channel`;
  expect(rows.map((row) => [row.channel, row.kind])).toEqual([["email", "out_of_credits"]]);
});

test("a run whose producer died is billed once from its last metering step, also if its producer billed it", async () => {
  const userId = await insertUserWithCredits(sql, 100);
  const sessionId = await newSession(userId);
  expect(await verdictOf(meterRun(sql, step(sessionId, 1, 3)))).toBe("ok");
  await billAbandonedRun(sql, sessionId);
  await billAbandonedRun(sql, sessionId);
  const debits = await sql`select amount, epoch, run from credit_ledger where session_id = ${sessionId}`;
  expect(debits.map((row) => [row.amount, row.epoch, row.run])).toEqual([["-2.900000", 1, 1]]);
  const [row] = await sql`select usage, metered_credits from sessions where id = ${sessionId}`;
  expect(row).toEqual({ usage: usage(10, 1800, true), metered_credits: "0.000000" });

  const billedItself = await newSession(userId);
  expect(await verdictOf(meterRun(sql, step(billedItself, 1, 2)))).toBe("ok");
  await billRunAlone(sql, {
    sessionId: billedItself,
    epoch: 1,
    run: 1,
    usage: usage(10, 1300),
    costUsd: 0.0195,
  });
  await billAbandonedRun(sql, billedItself);
  const own = await sql`select amount from credit_ledger where session_id = ${billedItself}`;
  expect(own.map((entry) => entry.amount)).toEqual(["-1.950000"]);
});

test("runs are debited exactly: two runs of 1.02 credits cost 2.04, a 7-byte run its micro-credits", async () => {
  const userId = await insertUserWithCredits(sql, 100);
  for (const _ of [1, 2]) {
    const sessionId = await newSession(userId);
    await billRunAlone(sql, { sessionId, epoch: 1, run: 1, usage: usage(100, 600), costUsd: 0.0102 });
  }
  expect(await balanceOf(userId)).toBe("97.960000");
  const tiny = await newSession(userId);
  // 2 output tokens (7 bytes) and 12 input tokens at $3/$15 per million: $0.000066 = 0.0066 credits.
  const costUsd = (12 * 3 + 2 * 15) / 1_000_000;
  await billRunAlone(sql, { sessionId: tiny, epoch: 1, run: 1, usage: usage(12, 2, true), costUsd });
  const [debit] = await sql`select amount from credit_ledger where session_id = ${tiny}`;
  expect(debit!.amount).toBe("-0.006600");
  expect(await balanceOf(userId)).toBe("97.953400");
});

test("the cap and the balance compare exact amounts, and a step reports the headroom left", async () => {
  const userId = await insertUserWithCredits(sql, 1000);
  const capped = await newSession(userId, 2);
  await billRunAlone(sql, { sessionId: capped, epoch: 1, run: 1, usage: usage(1, 1), costUsd: 0.0102 });
  await sql`update sessions set epoch = 2 where id = ${capped}`;
  // 1.02 billed + 0.97 running = 1.99 < 2: a whole-credit rounding would have stopped it at 2 + 1.
  expect(await meterRun(sql, step(capped, 2, 0.97))).toEqual({ verdict: "ok", headroom: 0.01 });
  expect(await verdictOf(meterRun(sql, step(capped, 2, 0.98)))).toBe("over_cap");

  const poor = await insertUserWithCredits(sql, 2.5);
  const session = await newSession(poor);
  expect(await meterRun(sql, step(session, 1, 1))).toEqual({ verdict: "ok", headroom: 1.5 });
  expect(await verdictOf(meterRun(sql, step(session, 1, 2.49)))).toBe("ok");
  expect(await verdictOf(meterRun(sql, step(session, 1, 2.5)))).toBe("out_of_credits");
});
