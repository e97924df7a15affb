import { createBrowserClient } from "@supabase/ssr";
import type { SupabaseClient } from "@supabase/supabase-js";

/**
 * The browser's Supabase client. Its session lives in the @supabase/ssr cookie
 * (`sb-<ref>-auth-token`), so route handlers see the same user through `requireUser`.
 */
export function createBrowserSupabase(url: string, anonKey: string): SupabaseClient {
  return createBrowserClient(url, anonKey);
}
