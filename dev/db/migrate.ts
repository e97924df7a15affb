import { readFile } from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { runSupabaseCli } from "./embedded.ts";

const bootstrapFile = path.resolve(import.meta.dirname, "supabase-bootstrap.sql");

/**
 * Brings a local database to the state of a Supabase project with our migrations: first the
 * local-only bootstrap (roles, `auth`, `realtime`), then `supabase/migrations` through the Supabase CLI.
 */
export async function migrateLocalDatabase(
  url: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(await readFile(bootstrapFile, "utf8"));
  } finally {
    await sql.end();
  }
  // `--remote=<url>` is the CLI 3.x form; `--db-url` is deprecated.
  await runSupabaseCli(["db", "push", `--remote=${url}?sslmode=disable`, "--yes"], log);
}

/** Applies `supabase/seed.sql` (the dev accounts and their credits). Idempotent. */
export async function seedLocalDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(await readFile(path.resolve("supabase", "seed.sql"), "utf8"));
  } finally {
    await sql.end();
  }
}
