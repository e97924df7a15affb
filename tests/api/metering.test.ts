import { expect, test } from "vitest";
import { simulatedPieces, simulatedText } from "../../dev/agent-sim/text.ts";
import { type api, readSse, waitFor } from "../support/api.ts";
import { userWithCredits, withStack } from "../support/fixtures.ts";
import { workerRunning } from "../support/workers.ts";

// Every run is billed (estimated when the agent reports no usage), and spending stops at the balance.
const {
  stack,
  sql,
  user: alice,
} = withStack({
  env: { LIVE_BUDGET_SECONDS: "3", LEASE_SECONDS: "5" },
  worker: "stack",
  sql: 2,
  signIn: "alice@example.com",
});

const freshUser = (credits: number) => userWithCredits({ stack, sql }, credits, "meter");

const balanceOf = async (userId: string) =>
  (
    await sql<{ balance: number }[]>`
      select coalesce(sum(amount), 0)::float8 as balance from credit_ledger where user_id = ${userId}`
  )[0]!.balance;

/** Debits in credits (the ledger's exact numeric, read as a number). */
const debitsOf = async (sessionId: string) =>
  (
    await sql<{ amount: string; epoch: number; run: number }[]>`
      select amount, epoch, run from credit_ledger where session_id = ${sessionId} and kind = 'debit' order by epoch`
  ).map((row) => ({ ...row, amount: Number(row.amount) }));

async function ended(user: ReturnType<typeof api>, sessionId: string) {
  return waitFor(async () => {
    const body = await (await user.snapshot(sessionId)).json();
    return ["completed", "failed", "cancelled"].includes(body.status) ? body : undefined;
  }, 90_000);
}

test("a background session stops when its cost reaches the balance: output kept, failed payment_required:credits, out_of_credits notification", async () => {
  const { user, userId } = await freshUser(3);
  const seed = "broke";
  const sessionId = await user.startBackground({
    message: `#sim tokens=20000 rate=2000 seed=${seed}\nSpend it all`,
    agent: "sim-anthropic",
  });
  const snapshot = await ended(user, sessionId);
  expect(snapshot.status).toBe("failed");
  expect(snapshot.error.code).toBe("payment_required:credits");
  expect(snapshot.output.length).toBeGreaterThan(0);
  expect(simulatedText(seed, 20000).startsWith(snapshot.output)).toBe(true);
  expect(snapshot.output.length).toBeLessThan(simulatedText(seed, 20000).length / 2);
  expect(snapshot.usage.estimated).toBe(true);
  const balance = await balanceOf(userId);
  expect(balance).toBeLessThanOrEqual(0);
  // Issue 12: the step that reaches the balance stops it, within one step (one credit) of zero.
  expect(balance).toBeGreaterThanOrEqual(-1);
  expect(await debitsOf(sessionId)).toHaveLength(1);
  const notifications = await sql`select kind from notifications where session_id = ${sessionId}`;
  expect(notifications.map((row) => row.kind)).toEqual(["out_of_credits"]);
});

test("a fresh 2-credit user firing 20 concurrent background chats: 2 run, and the shared balance ends within one step per session of zero", async () => {
  const { user, userId } = await freshUser(2);
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      user.chat({
        message: `#sim tokens=20000 rate=2000 seed=b${index}\nGo`,
        agent: "sim-anthropic",
        mode: "background",
      }),
    ),
  );
  const accepted = responses.filter((response) => response.status === 202);
  expect(accepted).toHaveLength(2);
  expect(responses.filter((response) => response.status === 402)).toHaveLength(18);
  for (const response of accepted) {
    const { sessionId } = (await response.json()) as { sessionId: string };
    const snapshot = await ended(user, sessionId);
    expect(snapshot.error?.code).toBe("payment_required:credits");
    expect(await debitsOf(sessionId)).toHaveLength(1);
  }
  const balance = await balanceOf(userId);
  expect(balance).toBeLessThanOrEqual(0);
  expect(balance).toBeGreaterThanOrEqual(-2);
});

/** The most one simulator frame (`MAX_TOKENS_PER_FRAME` pieces) of this text can cost, in credits. */
function costliestFrame(seed: string, tokens: number): number {
  const pieces = simulatedPieces(seed, tokens);
  let bytes = 0;
  for (let i = 0; i < pieces.length; i++)
    bytes = Math.max(bytes, Buffer.byteLength(pieces.slice(i, i + 8).join("")));
  // Output tokens are estimated from bytes (4 per token, rounded up): at most one more than the frame's share.
  return (Math.ceil(bytes / 4) + 1) * SONNET_CREDITS_PER_OUTPUT_TOKEN;
}
const SONNET_CREDITS_PER_OUTPUT_TOKEN = 0.0015;

test("maxCredits stops a session at its cap, with the user's balance untouched beyond it", async () => {
  const [aliceRow] = await sql<{ id: string }[]>`select id from auth.users where email = 'alice@example.com'`;
  const aliceId = aliceRow!.id;
  const before = await balanceOf(aliceId);
  const sessionId = await alice.startBackground({
    message: "#sim tokens=20000 rate=2000 seed=capped\nCapped",
    agent: "sim-anthropic",
    maxCredits: 2,
  });
  const snapshot = await ended(alice, sessionId);
  expect(snapshot.status).toBe("failed");
  expect(snapshot.error.code).toBe("payment_required:credits");
  // Stopped at the event that reaches the cap (exact, not rounded up from 1.x), and debited what the
  // run used by then: the cap, past it by at most that one event of the agent.
  const [debit] = await debitsOf(sessionId);
  expect(debit!.amount).toBeLessThanOrEqual(-2);
  expect(debit!.amount).toBeGreaterThanOrEqual(-2 - costliestFrame("capped", 20000));
  expect(await balanceOf(aliceId)).toBeCloseTo(before + debit!.amount, 6);
});

test("maxCredits must be a positive whole number of credits", async () => {
  const response = await alice.chat({ message: "hi", maxCredits: 0 });
  expect(response.status).toBe(400);
  expect((await response.json()).code).toBe("bad_request:chat");
});

test("a cancelled session is billed from an estimate, marked estimated", async () => {
  // In the background (no live budget here), so the one run is cut by the cancel alone.
  const sessionId = await alice.startBackground({
    message: "#sim tokens=3000 rate=100 seed=cancel\nStop me",
    agent: "sim-openclaw",
  });
  await readSse(await alice.stream(sessionId), {
    until: (event) => event.event === "delta" && Number(event.id?.split(":").at(-1)) > 200,
  });
  expect((await alice.cancel(sessionId)).status).toBe(200);
  const snapshot = await ended(alice, sessionId);
  expect(snapshot.status).toBe("cancelled");
  expect(snapshot.usage.estimated).toBe(true);
  expect(snapshot.usage.outputTokens).toBe(Math.ceil(snapshot.offset / 4));
  expect(snapshot.costUsd).toBeGreaterThan(0);
  const debits = await debitsOf(sessionId);
  expect(debits).toHaveLength(1);
  // Exactly its estimated cost, not rounded up to a whole credit.
  expect(debits[0]).toMatchObject({ run: 1 });
  expect(debits[0]!.amount).toBeCloseTo(-snapshot.costUsd * 100, 5);
  expect(debits[0]!.amount).toBeGreaterThan(-1);
});

test("a continued session bills each run: the interrupted live run (estimated) and the continuation", async () => {
  const live = await readSse(
    await alice.chat({ message: "#sim tokens=3000 rate=300 seed=two-runs", agent: "sim-openclaw" }),
  );
  expect(live.at(-1)?.event).toBe("handoff");
  const sessionId = JSON.parse(live[0]!.data).sessionId as string;
  const snapshot = await ended(alice, sessionId);
  expect(snapshot.status).toBe("completed");
  expect(snapshot.seams).toHaveLength(1);
  expect(snapshot.usage.estimated).toBe(true);
  const debits = await debitsOf(sessionId);
  expect(debits.map((row) => [row.epoch, row.run])).toEqual([
    [1, 1],
    [3, 1],
  ]);
  const cost = Number(snapshot.costUsd);
  // The two runs' exact debits add up to the session's cost (each rounded to the micro-credit only).
  expect(-debits.reduce((sum, row) => sum + row.amount, 0)).toBeCloseTo(cost * 100, 4);
});

test("a connection-bound run whose worker is killed is billed from its last metering step, then the continuation", async () => {
  await stack.startWorker();
  const sessionId = await alice.startBackground({
    message: "#sim tokens=3000 rate=600 seed=killed\nDie halfway",
    agent: "sim-anthropic",
  });
  const owner = await workerRunning(sql, sessionId, { pastOffset: 500, metered: true });
  process.kill(owner.pid, "SIGKILL");
  const snapshot = await ended(alice, sessionId);
  expect(snapshot.status).toBe("completed");
  expect(snapshot.seams).toHaveLength(1);
  expect(snapshot.usage.estimated).toBe(true);
  const debits = await debitsOf(sessionId);
  expect(debits).toHaveLength(2);
  expect(debits[0]).toMatchObject({ epoch: owner.epoch, run: 1 });
  expect(debits[0]!.amount).toBeLessThan(0);
  expect(debits[1]!.epoch).toBeGreaterThan(owner.epoch);
});
