import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { getSql } from "../../lib/db/client.ts";
import { waitFor } from "../support/api.ts";
import { createTestDatabase } from "../support/database.ts";

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await getSql().end();
  await database?.drop();
});

test("with DATABASE_LISTEN_URL set, LISTEN goes over that connection and queries over DATABASE_URL", async () => {
  // Two URLs to the same database told apart by application_name, as a pooler and a direct URL would be.
  process.env.DATABASE_URL = `${database.url}?application_name=overtime_queries`;
  process.env.DATABASE_LISTEN_URL = `${database.url}?application_name=overtime_listen`;
  const sql = getSql();
  const heard: string[] = [];
  await sql.listen("overtime_listen_url_test", (payload) => heard.push(payload));
  await sql`select pg_notify('overtime_listen_url_test', 'hello')`;
  await waitFor(async () => (heard.length > 0 ? true : undefined), 5000);
  expect(heard).toEqual(["hello"]);

  const observer = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    const rows = await observer<{ application_name: string; query: string }[]>`
      select application_name, query from pg_stat_activity
      where datname = current_database() and application_name like 'overtime_%'`;
    const listeners = rows.filter((row) => /^listen/i.test(row.query.trim()));
    expect(listeners.map((row) => row.application_name)).toEqual(["overtime_listen"]);
    expect(rows.some((row) => row.application_name === "overtime_queries")).toBe(true);
  } finally {
    await observer.end();
  }
});
