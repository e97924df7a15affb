import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Sql } from "postgres";

/** Sends one email (the local stand-in sends through the Resend stand-in into the inbox). */
export interface Mailer {
  send(email: { to: string; subject: string; html: string; text: string }): Promise<void>;
}

/** GoTrue's default for `MAILER_OTP_EXP`. */
const LINK_TTL_MS = 60 * 60 * 1000;
/** GoTrue's flow-state lifetime for the PKCE auth code. */
const AUTH_CODE_TTL_MS = 5 * 60 * 1000;

interface PendingLink {
  userId: string;
  redirectTo: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: number;
}

interface PendingCode {
  userId: string;
  codeChallenge: string;
  codeChallengeMethod: string;
  expiresAt: number;
}

/**
 * The magic-link part of GoTrue: `POST /otp` creates the user if allowed and emails a one-time
 * `/verify` link; `/verify` redirects to `redirect_to` with the session in the fragment (implicit
 * flow) or with `?code=` for the PKCE flow, which `grant_type=pkce` exchanges with the verifier.
 */
export class MagicLinks {
  readonly #links = new Map<string, PendingLink>();
  readonly #codes = new Map<string, PendingCode>();

  constructor(
    private readonly sql: Sql,
    private readonly mailer: Mailer | undefined,
    private readonly issuer: string,
  ) {}

  /** Emails a sign-in link; "not_found" when the user does not exist and may not be created. */
  async send(input: {
    email: string;
    createUser: boolean;
    data: Record<string, unknown>;
    redirectTo: string;
    codeChallenge: string | null;
    codeChallengeMethod: string | null;
  }): Promise<"sent" | "not_found"> {
    if (!this.mailer) throw new Error("no mailer configured for magic links");
    const email = input.email.trim().toLowerCase();
    if (input.createUser) {
      await this.sql`
        insert into auth.users (email, email_confirmed_at, raw_user_meta_data)
        values (${email}, now(), ${this.sql.json(input.data as Parameters<typeof this.sql.json>[0])})
        on conflict (email) do nothing`;
    }
    const [user] = await this.sql<{ id: string }[]>`
      select id from auth.users where lower(email) = ${email} and aud = 'authenticated'`;
    if (!user) return "not_found";
    const token = randomBytes(24).toString("hex");
    this.#links.set(token, {
      userId: user.id,
      redirectTo: input.redirectTo,
      codeChallenge: input.codeChallenge,
      codeChallengeMethod: input.codeChallengeMethod,
      expiresAt: Date.now() + LINK_TTL_MS,
    });
    const link = `${this.issuer}/verify?${new URLSearchParams({ token, type: "magiclink", redirect_to: input.redirectTo })}`;
    await this.mailer.send({
      to: email,
      subject: "Your Magic Link",
      html: `<h2>Magic Link</h2><p>Follow this link to login:</p><p><a href="${link.replaceAll("&", "&amp;")}">Log In</a></p>`,
      text: `Magic Link\n\nFollow this link to login:\n${link}\n`,
    });
    return "sent";
  }

  /** Spends a link: the user to sign in and how to hand the session back, or undefined. */
  verify(token: string): { userId: string; redirectTo: string; authCode?: string } | undefined {
    const link = this.#links.get(token);
    this.#links.delete(token);
    if (!link || link.expiresAt < Date.now()) return undefined;
    if (!link.codeChallenge) return { userId: link.userId, redirectTo: link.redirectTo };
    const authCode = randomUUID();
    this.#codes.set(authCode, {
      userId: link.userId,
      codeChallenge: link.codeChallenge,
      codeChallengeMethod: (link.codeChallengeMethod ?? "plain").toLowerCase(),
      expiresAt: Date.now() + AUTH_CODE_TTL_MS,
    });
    return { userId: link.userId, redirectTo: link.redirectTo, authCode };
  }

  /** `grant_type=pkce`: the user id when the verifier matches the challenge of an unexpired code. */
  exchange(authCode: string, codeVerifier: string): string | undefined {
    const code = this.#codes.get(authCode);
    this.#codes.delete(authCode);
    if (!code || code.expiresAt < Date.now()) return undefined;
    const computed =
      code.codeChallengeMethod === "s256"
        ? createHash("sha256").update(codeVerifier).digest("base64url")
        : codeVerifier;
    return computed === code.codeChallenge ? code.userId : undefined;
  }
}
