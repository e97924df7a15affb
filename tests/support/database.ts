import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";

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
