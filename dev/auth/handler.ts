import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sql } from "postgres";
import { z } from "zod";
import { buildAccessTokenClaims, signAccessToken, verifyAccessToken } from "./access-token.ts";
import { applySupabaseCors } from "./cors.ts";
import { GoTrueHttpError, GoTrueOAuthError, sendGoTrueError, sendJson } from "./gotrue-errors.ts";
import { MagicLinks, type Mailer } from "./magic-link.ts";
import {
  endSessions,
  findSession,
  type LogoutScope,
  rotateRefreshToken,
  type SessionRow,
  startSession,
} from "./sessions.ts";
import type { SigningKey } from "./signing-key.ts";
import {
  findUserById,
  findUserByPassword,
  insertConfirmedUser,
  recordSignIn,
  toGoTrueUser,
  type UserRow,
} from "./users.ts";

export interface AuthHandlerOptions {
  sql: Sql;
  /** `iss` of issued tokens: `${SUPABASE_URL}/auth/v1`. */
  issuer: string;
  signingKey: SigningKey;
  /** Access-token lifetime (GoTrue `JWT_EXP`, Supabase `auth.jwt_expiry`). Default 3600. */
  jwtExpirySeconds?: number;
  /** GoTrue `SECURITY_REFRESH_TOKEN_REUSE_INTERVAL`. Default 10. */
  refreshTokenReuseIntervalSeconds?: number;
  now?: () => Date;
  /** Sends magic-link emails (`signInWithOtp`); without one, `/otp` fails as an unconfigured mailer. */
  mailer?: Mailer;
  /** Where `/verify` sends the browser when the request named no `redirect_to` (GoTrue's SITE_URL). */
  siteUrl?: string;
}

/** A Node request handler that answers its own paths and returns false for any other path. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const PREFIX = "/auth/v1";
const MIN_PASSWORD_LENGTH = 6;
const MAX_BODY_BYTES = 1024 * 1024;
const INVALID_LOGIN = "Invalid login credentials";

const signupBody = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
});
const passwordGrantBody = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
});
const refreshGrantBody = z.object({ refresh_token: z.string().optional() });
const otpBody = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
  create_user: z.boolean().optional(),
  code_challenge: z.string().nullish(),
  code_challenge_method: z.string().nullish(),
});
const pkceGrantBody = z.object({ auth_code: z.string().optional(), code_verifier: z.string().optional() });

/**
 * A GoTrue stand-in for what supabase-js uses: signup (auto-confirmed), password, refresh-token and
 * PKCE grants, magic links (`/otp`, `/verify`), user, logout, JWKS, settings, health. Same paths, bodies, error shapes and token claims as
 * Supabase Auth, so the app and the official client cannot tell the difference.
 */
export function createAuthHandler(options: AuthHandlerOptions): NodeHandler {
  const { sql, issuer, signingKey } = options;
  const jwtExpirySeconds = options.jwtExpirySeconds ?? 3600;
  const reuseIntervalSeconds = options.refreshTokenReuseIntervalSeconds ?? 10;
  const now = options.now ?? (() => new Date());
  const magicLinks = new MagicLinks(sql, options.mailer, issuer);

  async function sessionResponse(user: UserRow, session: SessionRow, refreshToken: string) {
    const claims = buildAccessTokenClaims({
      issuer,
      user,
      sessionId: session.id,
      sessionCreatedAt: session.created_at,
      now: now(),
      expirySeconds: jwtExpirySeconds,
    });
    return {
      access_token: await signAccessToken(signingKey, claims),
      token_type: "bearer",
      expires_in: jwtExpirySeconds,
      expires_at: claims.exp,
      refresh_token: refreshToken,
      user: toGoTrueUser(user),
    };
  }

  async function signUp(req: IncomingMessage) {
    const body = parseBody(signupBody, await readJson(req));
    if (!body.email) {
      throw new GoTrueHttpError(400, "validation_failed", "To signup, please provide your email");
    }
    const email = body.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      throw new GoTrueHttpError(400, "validation_failed", "Unable to validate email address: invalid format");
    }
    if (!body.password) {
      throw new GoTrueHttpError(422, "validation_failed", "Signup requires a valid password");
    }
    if (body.password.length < MIN_PASSWORD_LENGTH) {
      throw new GoTrueHttpError(
        422,
        "weak_password",
        `Password should be at least ${MIN_PASSWORD_LENGTH} characters.`,
        { weak_password: { reasons: ["length"] } },
      );
    }
    const password = body.password;
    return sql.begin(async (tx) => {
      const created = await insertConfirmedUser(tx, { email, password, userMetadata: body.data ?? {} });
      if (!created) throw new GoTrueHttpError(422, "user_already_exists", "User already registered");
      const user = await recordSignIn(tx, created.id);
      const { session, refreshToken } = await startSession(tx, user.id);
      return sessionResponse(user, session, refreshToken);
    });
  }

  async function passwordGrant(req: IncomingMessage) {
    const body = parseBody(passwordGrantBody, await readJson(req));
    if (body.email && body.phone) {
      throw new GoTrueHttpError(
        400,
        "validation_failed",
        "Only an email address or phone number should be provided on login.",
      );
    }
    if (!body.email) throw new GoTrueHttpError(400, "invalid_credentials", INVALID_LOGIN);
    const found = await findUserByPassword(sql, body.email.trim(), body.password ?? "");
    if (!found || found === "wrong_password") {
      throw new GoTrueHttpError(400, "invalid_credentials", INVALID_LOGIN);
    }
    if (!found.email_confirmed_at)
      throw new GoTrueHttpError(400, "email_not_confirmed", "Email not confirmed");
    return sql.begin(async (tx) => {
      const user = await recordSignIn(tx, found.id);
      const { session, refreshToken } = await startSession(tx, user.id);
      return sessionResponse(user, session, refreshToken);
    });
  }

  async function refreshGrant(req: IncomingMessage) {
    const body = parseBody(refreshGrantBody, await readJson(req));
    if (!body.refresh_token) throw new GoTrueOAuthError("invalid_request", "refresh_token required");
    const result = await rotateRefreshToken(sql, body.refresh_token, { reuseIntervalSeconds, now: now() });
    switch (result.kind) {
      case "not_found":
        throw new GoTrueHttpError(
          400,
          "refresh_token_not_found",
          "Invalid Refresh Token: Refresh Token Not Found",
        );
      case "session_expired":
        throw new GoTrueHttpError(400, "session_expired", "Invalid Refresh Token: Session Expired");
      case "already_used":
        throw new GoTrueHttpError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
      case "rotated": {
        const user = await findUserById(sql, result.userId);
        if (!user) {
          throw new GoTrueHttpError(
            400,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
          );
        }
        return sessionResponse(user, result.session, result.refreshToken);
      }
    }
  }

  async function sendMagicLink(req: IncomingMessage, url: URL) {
    const body = parseBody(otpBody, await readJson(req));
    if (!body.email) {
      throw new GoTrueHttpError(
        400,
        "validation_failed",
        "Only an email address or phone number should be provided",
      );
    }
    if (!options.mailer) {
      throw new GoTrueHttpError(500, "unexpected_failure", "Error sending magic link email");
    }
    const sent = await magicLinks.send({
      email: body.email,
      createUser: body.create_user ?? true,
      data: body.data ?? {},
      redirectTo: url.searchParams.get("redirect_to") || options.siteUrl || "/",
      codeChallenge: body.code_challenge ?? null,
      codeChallengeMethod: body.code_challenge_method ?? null,
    });
    if (sent === "not_found") throw new GoTrueHttpError(422, "otp_disabled", "Signups not allowed for otp");
    return {};
  }

  /** `/verify`: spends the link and redirects with the session (fragment) or a PKCE code (query). */
  async function verifyMagicLink(res: ServerResponse, url: URL) {
    const verified = magicLinks.verify(url.searchParams.get("token") ?? "");
    const fallback = url.searchParams.get("redirect_to") || options.siteUrl || "/";
    let location: string;
    if (!verified) {
      location = `${fallback}#${new URLSearchParams({
        error: "access_denied",
        error_code: "otp_expired",
        error_description: "Email link is invalid or has expired",
      })}`;
    } else if (verified.authCode) {
      location = `${verified.redirectTo}${verified.redirectTo.includes("?") ? "&" : "?"}code=${verified.authCode}`;
    } else {
      const session = await sql.begin(async (tx) => {
        const user = await recordSignIn(tx, verified.userId);
        const started = await startSession(tx, user.id);
        return sessionResponse(user, started.session, started.refreshToken);
      });
      location = `${verified.redirectTo}#${new URLSearchParams({
        access_token: session.access_token,
        expires_at: String(session.expires_at),
        expires_in: String(session.expires_in),
        refresh_token: session.refresh_token,
        token_type: "bearer",
        type: "magiclink",
      })}`;
    }
    res.writeHead(303, { location });
    res.end();
  }

  async function pkceGrant(req: IncomingMessage) {
    const body = parseBody(pkceGrantBody, await readJson(req));
    if (!body.auth_code || !body.code_verifier) {
      throw new GoTrueHttpError(
        400,
        "validation_failed",
        "invalid request: both auth code and code verifier should be non-empty",
      );
    }
    const userId = magicLinks.exchange(body.auth_code, body.code_verifier);
    if (!userId) {
      throw new GoTrueHttpError(404, "flow_state_not_found", "invalid flow state, no valid flow state found");
    }
    return sql.begin(async (tx) => {
      const user = await recordSignIn(tx, userId);
      const { session, refreshToken } = await startSession(tx, user.id);
      return sessionResponse(user, session, refreshToken);
    });
  }

  /** GoTrue's `requireAuthentication`: bearer token, valid signature, existing user and session. */
  async function authenticate(req: IncomingMessage) {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!match?.[1]) {
      throw new GoTrueHttpError(401, "no_authorization", "This endpoint requires a Bearer token");
    }
    let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
    try {
      claims = await verifyAccessToken(signingKey, match[1], now());
    } catch (error) {
      const reason =
        (error as { code?: string }).code === "ERR_JWT_EXPIRED"
          ? "token has invalid claims: token is expired"
          : (error as Error).message;
      throw new GoTrueHttpError(
        403,
        "bad_jwt",
        `invalid JWT: unable to parse or verify signature, ${reason}`,
      );
    }
    if (!claims.sub || !isUuid(claims.sub)) {
      throw new GoTrueHttpError(403, "bad_jwt", "invalid claim: missing sub claim");
    }
    const user = await findUserById(sql, claims.sub);
    if (!user) throw new GoTrueHttpError(403, "user_not_found", "User from sub claim in JWT does not exist");
    const sessionId = typeof claims.session_id === "string" ? claims.session_id : undefined;
    if (sessionId && (!isUuid(sessionId) || !(await findSession(sql, sessionId)))) {
      throw new GoTrueHttpError(
        403,
        "session_not_found",
        "Session from session_id claim in JWT does not exist",
      );
    }
    return { user, sessionId };
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice(PREFIX.length).replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const is = (m: string, p: string) => method === m && path === p;

    if (is("GET", "/health")) {
      sendJson(res, 200, {
        version: "overtime-dev",
        name: "GoTrue",
        description: "GoTrue is a user registration and authentication API",
      });
    } else if (is("GET", "/settings")) {
      sendJson(res, 200, {
        external: { email: true, phone: false, anonymous_users: false },
        disable_signup: false,
        mailer_autoconfirm: true,
        phone_autoconfirm: false,
        sms_provider: "",
        saml_enabled: false,
      });
    } else if (is("GET", "/.well-known/jwks.json")) {
      res.setHeader("cache-control", "public, max-age=600");
      sendJson(res, 200, { keys: [signingKey.publicJwk] });
    } else if (is("POST", "/signup")) {
      sendJson(res, 200, await signUp(req));
    } else if (is("POST", "/token")) {
      const grantType = url.searchParams.get("grant_type");
      if (grantType === "password") sendJson(res, 200, await passwordGrant(req));
      else if (grantType === "refresh_token") sendJson(res, 200, await refreshGrant(req));
      else if (grantType === "pkce") sendJson(res, 200, await pkceGrant(req));
      else throw new GoTrueOAuthError("unsupported_grant_type", "");
    } else if (is("POST", "/otp")) {
      sendJson(res, 200, await sendMagicLink(req, url));
    } else if (is("GET", "/verify")) {
      await verifyMagicLink(res, url);
    } else if (is("GET", "/user")) {
      const { user } = await authenticate(req);
      sendJson(res, 200, toGoTrueUser(user));
    } else if (is("POST", "/logout")) {
      const scope = url.searchParams.get("scope") || "global";
      if (scope !== "global" && scope !== "local" && scope !== "others") {
        throw new GoTrueHttpError(400, "validation_failed", `Unsupported logout scope "${scope}"`);
      }
      const { user, sessionId } = await authenticate(req);
      await endSessions(sql, { userId: user.id, sessionId, scope: scope as LogoutScope });
      res.writeHead(204);
      res.end();
    } else {
      throw new GoTrueHttpError(404, "not_found", "Not Found");
    }
  }

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) return false;
    if (applySupabaseCors(req, res)) return true;
    try {
      await route(req, res, url);
    } catch (error) {
      if (res.headersSent) {
        console.error("auth stand-in: failed after the response started", { path: url.pathname, error });
        res.destroy();
      } else {
        sendGoTrueError(req, res, error);
      }
    }
    return true;
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new GoTrueHttpError(413, "request_too_large", "Request body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GoTrueHttpError(
      400,
      "bad_json",
      `Could not parse request body as JSON: ${(error as Error).message}`,
    );
  }
}

function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GoTrueHttpError(
      400,
      "bad_json",
      `Could not parse request body as JSON: ${issue?.path.join(".") ?? "body"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}
