import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { createSql, type Sql } from "../../lib/db/client.ts";

/**
 * A fresh database cloned from the migrated, seeded template: the test file owns it alone.
 * Returns its URL and a function that drops it.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject("adminUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template overtime_template`);
  } finally {
    await admin.end();
  }
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    async drop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}

/**
 * A fresh test database of the file's own and `sql` on it (`connections` wide), both closed after the
 * file's tests. Call it at the top level (`await withTestDatabase(4)`).
 */
export async function withTestDatabase(connections: number): Promise<{ url: string; sql: Sql }> {
  const database = await createTestDatabase();
  const sql = createSql(database.url, connections);
  afterAll(async () => {
    await sql.end();
    await database.drop();
  });
  return { url: database.url, sql };
}

/** A new auth user (no profile sign-up flow: straight into `auth.users`) granted `credits`: its id. */
export async function insertUserWithCredits(sql: Sql, credits: number): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
  await sql`insert into credit_ledger (user_id, amount, kind, idempotency_key)
            values (${id}, ${credits}, 'grant', ${`test:${id}`})`;
  return id;
}
