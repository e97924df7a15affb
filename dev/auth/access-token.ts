import { createLocalJWKSet, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { SigningKey } from "./signing-key.ts";
import type { UserRow } from "./users.ts";

/** The claims GoTrue puts in a user's access token (`AccessTokenClaims` in supabase/auth). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  email: string;
  phone: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  role: string;
  aal: "aal1";
  amr: { method: string; timestamp: number }[];
  session_id: string;
  is_anonymous: boolean;
}

export interface AccessTokenInput {
  issuer: string;
  user: UserRow;
  sessionId: string;
  /** When the session was created: the `amr` timestamp of the password sign-in. */
  sessionCreatedAt: Date;
  now: Date;
  expirySeconds: number;
}

/** Supabase-shaped claims for a password session. */
export function buildAccessTokenClaims(input: AccessTokenInput): AccessTokenClaims {
  const iat = Math.floor(input.now.getTime() / 1000);
  return {
    iss: input.issuer,
    sub: input.user.id,
    aud: input.user.aud,
    exp: iat + input.expirySeconds,
    iat,
    email: input.user.email ?? "",
    phone: input.user.phone ?? "",
    app_metadata: input.user.raw_app_meta_data,
    user_metadata: input.user.raw_user_meta_data,
    role: input.user.role,
    aal: "aal1",
    amr: [{ method: "password", timestamp: Math.floor(input.sessionCreatedAt.getTime() / 1000) }],
    session_id: input.sessionId,
    is_anonymous: false,
  };
}

/** Signs any claims with the stand-in's key (tests use it to mint expired or odd tokens). */
export function signAccessToken(key: SigningKey, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .sign(key.privateKey);
}

/**
 * Verifies a token the way GoTrue does for its own endpoints: signature by `kid`, `exp`/`nbf`.
 * GoTrue does not pin `iss`/`aud` here; API consumers do (see lib/auth).
 */
export async function verifyAccessToken(
  key: SigningKey,
  token: string,
  now: Date,
): Promise<AccessTokenClaims> {
  const jwks = createLocalJWKSet({ keys: [key.publicJwk] });
  const { payload } = await jwtVerify(token, jwks, { algorithms: [key.alg], currentDate: now });
  return payload as AccessTokenClaims;
}
