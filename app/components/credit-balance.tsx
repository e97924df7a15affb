"use client";

import { useCallback, useEffect, useState } from "react";
import { TERMINAL_STATUS_SET } from "@/lib/lifecycle.ts";
import { useAuth } from "./supabase-provider.tsx";
import { useUserSessionMessages } from "./use-user-sessions.ts";

/** The signed-in user's credit balance; re-read when one of her sessions ends (it was debited). */
export function CreditBalance() {
  const { user } = useAuth();
  const [balance, setBalance] = useState<number | null>(null);
  const load = useCallback(() => {
    fetch("/api/credits", { cache: "no-store" })
      .then(async (response) => (response.ok ? ((await response.json()) as { balance: number }) : null))
      .then((body) => body && setBalance(body.balance))
      .catch(() => undefined);
  }, []);
  useEffect(() => {
    if (user) load();
  }, [user, load]);
  useUserSessionMessages({ onSession: (message) => TERMINAL_STATUS_SET.has(message.status) && load() });
  if (balance === null) return null;
  return (
    <span className="muted" data-testid="credit-balance" title="1 credit = US$0.01">
      {balance.toLocaleString("en-US", { maximumFractionDigits: 2 })} credits
    </span>
  );
}
