import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { AppError } from "../errors.ts";

/** The Supabase access-token claims the app relies on. */
export interface AccessTokenPayload extends JWTPayload {
  sub: string;
  email?: string;
  role?: string;
  session_id?: string;
}

export interface AccessTokenVerifierOptions {
  /** Expected `iss` (lib/env `jwtIssuer`). */
  issuer: string;
  /** Expected `aud`; Supabase user tokens carry "authenticated". */
  audience?: string;
  /** Legacy HS256 project secret; when set, only HS256 tokens signed with it are accepted. */
  secret?: string;
  /** Key lookup for asymmetric tokens (ES256/RS256 by `kid`); usually {@link remoteJwks}. */
  jwks?: JWTVerifyGetKey;
}

/**
 * The project's JWKS (`<SUPABASE_URL>/auth/v1/.well-known/jwks.json`), a key set that caches what it
 * fetched (keep one per process: the runtime's `requireUser` holds it); jose refetches on an unknown
 * `kid` (at most every 30 s) and after 10 minutes.
 */
export function remoteJwks(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
}

/**
 * Returns a function that verifies a Supabase access token (signature, `exp`, `aud`, `iss`, `sub`)
 * and throws AppError 401 `unauthorized:expired_token` or `unauthorized:invalid_token`. A JWKS that
 * cannot be fetched is our outage, not the caller's fault: 503 `unavailable:auth_keys`.
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): (token: string) => Promise<AccessTokenPayload> {
  const audience = options.audience ?? "authenticated";
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const { jwks } = options;
  if (!secret && !jwks) throw new Error("createAccessTokenVerifier needs a secret or a JWKS");

  return async (token) => {
    let payload: JWTPayload;
    try {
      const verifyOptions = { issuer: options.issuer, audience, requiredClaims: ["exp", "sub"] };
      payload = secret
        ? (await jwtVerify(token, secret, { ...verifyOptions, algorithms: ["HS256"] })).payload
        : (
            await jwtVerify(token, jwks as JWTVerifyGetKey, {
              ...verifyOptions,
              algorithms: ["ES256", "RS256"],
            })
          ).payload;
    } catch (error) {
      throw toAuthError(error);
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      throw new AppError("unauthorized:invalid_token", "The access token has no subject.");
    }
    return payload as AccessTokenPayload;
  };
}

function toAuthError(error: unknown): AppError {
  if (error instanceof errors.JWTExpired) {
    return new AppError("unauthorized:expired_token", "The access token has expired.", { cause: error });
  }
  if (isKeySetUnavailable(error)) {
    return new AppError("unavailable:auth_keys", "Could not fetch the auth signing keys.", { cause: error });
  }
  return new AppError("unauthorized:invalid_token", "The access token is invalid.", { cause: error });
}

/** The JWKS endpoint failed (network, timeout, non-200, not a key set), as opposed to a bad token. */
function isKeySetUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (!(error instanceof errors.JOSEError)) return error instanceof TypeError; // fetch() rejects with TypeError
  return error.code === "ERR_JOSE_GENERIC" && /JSON Web Key Set/.test(error.message);
}
