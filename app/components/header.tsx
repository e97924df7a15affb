"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { CreditBalance } from "./credit-balance.tsx";
import { useAuth } from "./supabase-provider.tsx";

export function Header() {
  const { supabase, user, ready } = useAuth();
  const router = useRouter();

  async function signOut() {
    await supabase.auth.signOut();
    router.push("/sign-in");
  }

  return (
    <header className="site-header">
      <Link href="/" className="brand">
        Overtime
      </Link>
      <nav>
        {ready && user ? (
          <>
            <Link href="/chat" data-testid="new-chat">
              New chat
            </Link>
            <Link href="/settings" data-testid="settings-link">
              Settings
            </Link>
            <CreditBalance />
            <span data-testid="user-email">{user.email}</span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : ready ? (
          <Link href="/sign-in">Sign in</Link>
        ) : null}
      </nav>
    </header>
  );
}
