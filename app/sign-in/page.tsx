"use client";

import { useSignIn } from "./use-sign-in.ts";

export default function SignInPage() {
  const { error, pending, linkSentTo, emailSignInLink, onSubmit } = useSignIn();

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
