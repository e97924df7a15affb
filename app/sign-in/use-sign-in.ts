"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useAuth } from "../components/supabase-provider.tsx";

/** The sign-in form's state and its two ways in: password, or a magic link by email. */
export function useSignIn() {
  const { supabase } = useAuth();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [linkSentTo, setLinkSentTo] = useState<string | null>(null);

  /** Magic link: the same email field, no password; the link signs in on this browser. */
  async function emailSignInLink(form: HTMLFormElement | null) {
    const input = form?.elements.namedItem("email");
    if (!(input instanceof HTMLInputElement) || !input.reportValidity()) return;
    const email = input.value.trim();
    setPending(true);
    setError(null);
    const { error: otpError } = await supabase.auth.signInWithOtp({
      email,
      options: { emailRedirectTo: `${window.location.origin}/` },
    });
    setPending(false);
    if (otpError) setError(otpError.message);
    else setLinkSentTo(email);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const { error: signInError } = await supabase.auth.signInWithPassword({
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
    });
    setPending(false);
    if (signInError) {
      setError(signInError.message);
      return;
    }
    router.push("/");
    router.refresh();
  }

  return { error, pending, linkSentTo, emailSignInLink, onSubmit };
}
