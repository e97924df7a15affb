import postgres from "postgres";
import { afterAll, expect, test } from "vitest";
import { createTestDatabase } from "../support/database.ts";

const database = await createTestDatabase();
const sql = postgres(database.url, { max: 2 });
afterAll(async () => {
  await sql.end();
  await database.drop();
});

test("the dev accounts are seeded with 1,000 credits each", async () => {
  const rows = await sql<{ email: string; balance: string }[]>`
    select u.email, sum(l.amount) as balance
    from auth.users u join public.credit_ledger l on l.user_id = u.id
    group by u.email order by u.email`;
  expect(rows.map((r) => [r.email, Number(r.balance)])).toEqual([
    ["alice@example.com", 1000],
    ["bob@example.com", 1000],
  ]);
});
