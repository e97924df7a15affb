"use client";

import { useCallback, useEffect, useState } from "react";
import { TERMINAL_STATUS_SET } from "@/lib/lifecycle.ts";
import { creditsSchema } from "@/lib/session/wire.ts";
import { fetchWire } from "../session-stream/api-client.ts";
import { useAuth } from "./supabase-provider.tsx";
import { useUserSessionMessages } from "./use-user-sessions.ts";

/** The signed-in user's credit balance; re-read when one of her sessions ends (it was debited). */
export function CreditBalance() {
  const { user } = useAuth();
  const [balance, setBalance] = useState<number | null>(null);
  const load = useCallback(() => {
    fetchWire("/api/credits", creditsSchema)
      .then((body) => setBalance(body.balance))
      // The header shows no balance rather than a wrong one; the next session end re-reads it.
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
