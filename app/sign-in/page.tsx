"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useAuth } from "../components/supabase-provider.tsx";

export default function SignInPage() {
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

  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      <form onSubmit={onSubmit}>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
        <button
          type="button"
          disabled={pending}
          onClick={(event) => void emailSignInLink(event.currentTarget.form)}
        >
          Email me a sign-in link
        </button>
        {linkSentTo ? (
          <p role="status" data-testid="magic-link-sent">
            Check {linkSentTo}: the link in that email signs you in.
          </p>
        ) : null}
        {error ? (
          <p role="alert" className="error" data-testid="sign-in-error">
            {error}
          </p>
        ) : null}
      </form>
    </section>
  );
}
