import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { inject } from "vitest";
import { type SupabaseStandIn, startSupabaseStandIn } from "../../dev/auth/server.ts";

export const ALICE_ID = "a11ce000-0000-4000-8000-000000000001";
export const BOB_ID = "b0b00000-0000-4000-8000-000000000002";
export const DEV_PASSWORD = "overtime-dev";
export const ANON_KEY = "sb_publishable_overtime_test";

/**
 * The stand-in on a free port against the suite's Postgres. Refresh-token reuse interval 0 so reuse
 * detection is observable without waiting (GoTrue's default is 10 s).
 */
export function startTestStandIn(): Promise<SupabaseStandIn> {
  return startSupabaseStandIn({
    port: 0,
    databaseUrl: inject("databaseUrl"),
    refreshTokenReuseIntervalSeconds: 0,
  });
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
