import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { api, readSse, signUp } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { stack, sql } = withStack({ env: { SIGNUP_CREDITS: "7" }, sql: 2 });

test("an account created later starts with SIGNUP_CREDITS, granted once, and chats are debited from it", async () => {
  const email = `new-${randomUUID()}@example.com`;
  const token = await signUp(stack.supabaseUrl, email);
  const user = api(stack.appUrl, token);
  for (const seed of ["one", "two"]) {
    const events = await readSse(await user.chat({ message: `#sim tokens=50 rate=0 seed=${seed}` }));
    expect(events.at(-1)?.event).toBe("done");
  }
  const ledger = await sql<{ kind: string; amount: number }[]>`
    select l.kind, l.amount from credit_ledger l join auth.users u on u.id = l.user_id
    where u.email = ${email} order by l.id`;
  expect(ledger[0]).toEqual({ kind: "grant", amount: "7.000000" });
  expect(ledger.filter((entry) => entry.kind === "grant")).toHaveLength(1);
  const debits = ledger.filter((entry) => entry.kind === "debit");
  expect(debits).toHaveLength(2);
  // Each 50-token chat costs a fraction of a credit and is debited exactly that, not a whole credit;
  // GET /api/credits keeps its meaning (credits), now a decimal exact to the millionth.
  const spentMicro = debits.reduce((sum, entry) => sum - Math.round(Number(entry.amount) * 1e6), 0);
  expect(spentMicro).toBeGreaterThan(0);
  expect(spentMicro).toBeLessThan(1e6);
  const response = await fetch(`${stack.appUrl}/api/credits`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(await response.json()).toEqual({ balance: (7e6 - spentMicro) / 1e6 });
});
