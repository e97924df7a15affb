import { afterAll, beforeAll, expect, test } from "vitest";
import { migrateLocalDatabase } from "../../dev/db/migrate.ts";
import { createTestDatabase } from "../support/database.ts";

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

test("migrations are pushed with the Supabase CLI's current form, which prints no deprecation", async () => {
  const lines: string[] = [];
  // The clone is already migrated: the push finds nothing to apply, and says what it targeted.
  await migrateLocalDatabase(database.url, (line) => lines.push(line));
  expect(lines.join("\n")).not.toMatch(/deprecated/i);
  expect(lines.join("\n")).toMatch(/up to date|Finished supabase db push/i);
});
