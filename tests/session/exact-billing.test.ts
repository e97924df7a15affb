import { expect, test } from "vitest";
import { type AgentConfig, type AgentEvent, estimateRequestTokens } from "../../lib/agent/index.ts";
import { insertUserWithCredits } from "../support/database.ts";
import { runFromStart, storePorts } from "../support/runtime.ts";
import { sessionFixture, startTestSession, WORKER_RUN } from "../support/session-fixture.ts";

// Issue 16 §4: every run is debited what it used, exact to the micro-credit, on real Postgres.
const { sql } = await sessionFixture();

const agent: AgentConfig = {
  name: "scripted",
  transport: "chat-completions",
  url: "http://unused",
  token: "t",
  model: "m",
  // $3 in / $10 out per million tokens: an output token is 0.001 credits.
  price: { input: 3, output: 10 },
};

async function session(userId: string, maxCredits?: number) {
  return startTestSession(sql, { title: "scripted", userId, ...WORKER_RUN, maxCredits });
}

const debitsOf = async (sessionId: string) =>
  (
    await sql<{ amount: string }[]>`
    select amount::text from credit_ledger where session_id = ${sessionId} and kind = 'debit'`
  ).map((row) => row.amount);

function run(
  started: { sessionId: string; epoch: number },
  stream: (signal: AbortSignal) => AsyncIterable<AgentEvent>,
  yieldSignal?: AbortSignal,
) {
  return runFromStart(started, {
    ports: storePorts(sql, { streamAgent: (_agent, _request, { signal }) => stream(signal) }),
    agent,
    content: "Summarise the offsets of the log, please.",
    yieldSignal,
    checkpoint: { intervalMs: 250, maxBytes: 8192, leaseSeconds: 30 },
  });
}

test("a run cut before its first token (then re-run) is debited its input by estimate", async () => {
  const started = await session(await insertUserWithCredits(sql, 10));
  const yieldNow = new AbortController();
  const outcome = run(
    started,
    async function* (signal) {
      yieldNow.abort(); // the budget is reached while the agent has not answered yet
      if (!signal.aborted)
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    },
    yieldNow.signal,
  );
  expect((await outcome).kind).toBe("budget");
  const inputTokens = estimateRequestTokens({
    messages: [{ role: "user", content: "Summarise the offsets of the log, please." }],
  });
  // inputTokens × $3 per million, in credits (US$0.01), to the micro-credit.
  expect(await debitsOf(started.sessionId)).toEqual([`-${((inputTokens * 3) / 10_000).toFixed(6)}`]);
});

test("a run stops at the step that reaches a fractional balance, not at the next whole credit, and is debited exactly", async () => {
  const userId = await insertUserWithCredits(sql, 1.3);
  const started = await session(userId);
  const outcome = run(started, async function* (signal) {
    // Reported running totals, 400 output tokens (0.4 credits) more each time, until stopped.
    for (let step = 1; step <= 10 && !signal.aborted; step += 1)
      yield { type: "usage", inputTokens: 1, outputTokens: 400 * step } satisfies AgentEvent;
    yield { type: "done", reason: "completed" } satisfies AgentEvent;
  });
  expect((await outcome).kind).toBe("failed");
  // Steps: 1.2 (the first whole credit crossed; 0.1 left), then 1.6 reaches the balance. Whole-credit
  // steps alone would have run on to 2.0; rounding each run up would have stopped at 1.2 and debited 2.
  expect(await debitsOf(started.sessionId)).toEqual(["-1.600300"]);
  const [balance] = await sql<{ balance: string }[]>`
    select sum(amount)::text as balance from credit_ledger where user_id = ${userId}`;
  expect(balance!.balance).toBe("-0.300300");
});
