"use client";

import type { SupabaseClient, User } from "@supabase/supabase-js";
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import { createBrowserSupabase } from "@/lib/auth/browser-client.ts";

interface AuthState {
  supabase: SupabaseClient;
  user: User | null;
  /** False until the stored session has been read. */
  ready: boolean;
}

const AuthContext = createContext<AuthState | null>(null);

/** Holds the browser Supabase client (cookie session, so route handlers see it too) and the user. */
export function SupabaseProvider({
  url,
  anonKey,
  children,
}: {
  url: string;
  anonKey: string;
  children: ReactNode;
}) {
  const supabase = useMemo(() => createBrowserSupabase(url, anonKey), [url, anonKey]);
  const [user, setUser] = useState<User | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let active = true;
    void supabase.auth.getSession().then(({ data }) => {
      if (!active) return;
      setUser(data.session?.user ?? null);
      setReady(true);
    });
    const { data } = supabase.auth.onAuthStateChange((_event, session) => {
      setUser(session?.user ?? null);
      setReady(true);
    });
    return () => {
      active = false;
      data.subscription.unsubscribe();
    };
  }, [supabase]);

  const value = useMemo(() => ({ supabase, user, ready }), [supabase, user, ready]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth must be used inside <SupabaseProvider>");
  return state;
}
