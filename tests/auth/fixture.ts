import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { type SupabaseStandIn, startSupabaseStandIn } from "../../dev/auth/server.ts";
import { createTestDatabase } from "../support/database.ts";

export const ALICE_ID = "a11ce000-0000-4000-8000-000000000001";
export const BOB_ID = "b0b00000-0000-4000-8000-000000000002";
export const DEV_PASSWORD = "overtime-dev";
export const ANON_KEY = "sb_publishable_overtime_test";

/**
 * The stand-in on a free port against a fresh clone of the seeded test database. Refresh-token
 * reuse interval 0 so reuse detection is observable without waiting (GoTrue's default is 10 s).
 * Closing it also drops the database.
 */
export async function startTestStandIn(): Promise<SupabaseStandIn & { databaseUrl: string }> {
  const database = await createTestDatabase();
  const standIn = await startSupabaseStandIn({
    port: 0,
    databaseUrl: database.url,
    refreshTokenReuseIntervalSeconds: 0,
  });
  return {
    ...standIn,
    databaseUrl: database.url,
    async close() {
      await standIn.close();
      await database.drop();
    },
  };
}

/** A server-style supabase-js client: no storage persistence, no timers. */
export function nodeClient(url: string): SupabaseClient {
  return createClient(url, ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID()}@example.com`;
}
