import type { JWTVerifyGetKey } from "jose";
import { type Env, jwtIssuer } from "../env.ts";
import { AppError } from "../errors.ts";
import { readSessionCookieToken, sessionCookieName } from "./session-cookie.ts";
import { createAccessTokenVerifier, remoteJwks } from "./verify-access-token.ts";

/** The caller of a request, from a verified Supabase access token. */
export interface AuthUser {
  id: string;
  email: string | null;
  role: string;
  sessionId: string | null;
  accessToken: string;
}

export interface RequireUserOptions {
  env: Env;
  /** Key lookup for asymmetric tokens; defaults to the project's remote JWKS (cached by this verifier). */
  jwks?: JWTVerifyGetKey;
}

/**
 * The signed-in user of a request, verified against the project's JWKS (or the legacy HS256 secret
 * when SUPABASE_JWT_SECRET is set), checking `exp`, `aud = authenticated` and the issuer. Throws
 * AppError 401 `unauthorized:missing_token` | `unauthorized:invalid_token` | `unauthorized:expired_token`.
 */
export type RequireUser = (request: Request) => Promise<AuthUser>;

/**
 * Builds a `requireUser` for `env` (a process's runtime builds one, so its JWKS is fetched once per
 * process). The token comes from `Authorization: Bearer` or, failing that, the @supabase/ssr session cookie.
 */
export function createRequireUser(options: RequireUserOptions): RequireUser {
  const { env } = options;
  const verify = createAccessTokenVerifier({
    issuer: jwtIssuer(env),
    audience: "authenticated",
    secret: env.SUPABASE_JWT_SECRET,
    jwks: env.SUPABASE_JWT_SECRET
      ? undefined
      : (options.jwks ?? remoteJwks(`${env.SUPABASE_URL.replace(/\/$/, "")}/auth/v1/.well-known/jwks.json`)),
  });
  const cookieName = sessionCookieName(env.SUPABASE_URL);

  return async (request) => {
    const accessToken = await extractAccessToken(request, cookieName);
    const claims = await verify(accessToken);
    return {
      id: claims.sub,
      email: typeof claims.email === "string" && claims.email !== "" ? claims.email : null,
      role: typeof claims.role === "string" ? claims.role : "authenticated",
      sessionId: typeof claims.session_id === "string" ? claims.session_id : null,
      accessToken,
    };
  };
}

async function extractAccessToken(request: Request, cookieName: string): Promise<string> {
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) {
      throw new AppError("unauthorized:invalid_token", "The Authorization header must be `Bearer <token>`.");
    }
    return match[1];
  }
  const fromCookie = await readSessionCookieToken(request.headers.get("cookie"), cookieName);
  if (fromCookie === "malformed") {
    throw new AppError("unauthorized:invalid_token", "The session cookie cannot be read.");
  }
  if (!fromCookie) throw new AppError("unauthorized:missing_token", "Sign in to continue.");
  return fromCookie;
}
