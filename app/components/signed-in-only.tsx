"use client";

import { useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { useAuth } from "./supabase-provider.tsx";

/** Renders its children for a signed-in user; sends anyone else to the sign-in page. */
export function SignedInOnly({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  const router = useRouter();
  useEffect(() => {
    if (ready && !user) router.replace("/sign-in");
  }, [ready, user, router]);
  if (!ready || !user) return null;
  return <>{children}</>;
}
