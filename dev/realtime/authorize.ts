import { timingSafeEqual } from "node:crypto";
import { createLocalJWKSet, decodeJwt, errors, jwtVerify } from "jose";
import type { Sql, TransactionSql } from "postgres";
import type { SigningKey } from "../auth/signing-key.ts";

export type Claims = Record<string, unknown> & { role: string; exp: number; sub?: string };

/** Why a token was refused, with Realtime's error code and message (`<Code>: <message>` on joins). */
export interface TokenRefusal {
  code: string;
  message: string;
}

export interface TokenVerifierOptions {
  signingKey: SigningKey;
  /** The project's secret key; the gateway maps it (like `sb_secret_…`) to a service_role token. */
  secretKey: string;
  now?: () => number;
}

/** What the hosted gateway turns an opaque API key into: a long-lived role token. */
function keyClaims(role: "anon" | "service_role", nowSeconds: number): Claims {
  return { iss: "supabase", role, iat: nowSeconds, exp: nowSeconds + 10 * 365 * 24 * 3600 };
}

/**
 * Resolves a token as Realtime does: opaque `sb_` API keys as the gateway maps them (the secret key
 * to `service_role`, publishable keys to `anon`), JWTs verified against the auth stand-in's key with
 * `role` and `exp` required.
 */
export function createTokenVerifier(options: TokenVerifierOptions) {
  const jwks = createLocalJWKSet({ keys: [options.signingKey.publicJwk] });
  const secret = Buffer.from(options.secretKey, "utf8");
  const now = options.now ?? Date.now;
  return async (token: string | undefined): Promise<{ claims: Claims } | { refused: TokenRefusal }> => {
    const nowSeconds = Math.floor(now() / 1000);
    if (!token)
      return { refused: { code: "InvalidJWTToken", message: "The token provided is not a valid JWT" } };
    if (token.startsWith("sb_")) {
      const given = Buffer.from(token, "utf8");
      if (given.length === secret.length && timingSafeEqual(given, secret)) {
        return { claims: keyClaims("service_role", nowSeconds) };
      }
      if (token.startsWith("sb_publishable_")) return { claims: keyClaims("anon", nowSeconds) };
      return { refused: { code: "InvalidJWTToken", message: "The token provided is not a valid JWT" } };
    }
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(token);
    } catch {
      return { refused: { code: "MalformedJWT", message: "The token provided is not a valid JWT" } };
    }
    try {
      await jwtVerify(token, jwks, { currentDate: new Date(now()), clockTolerance: 0 });
    } catch (error) {
      if (error instanceof errors.JWTExpired && typeof claims.exp === "number") {
        return {
          refused: {
            code: "InvalidJWTToken",
            message: `Token has expired ${nowSeconds - claims.exp} seconds ago`,
          },
        };
      }
      if (error instanceof errors.JWKSNoMatchingKey) {
        return {
          refused: {
            code: "JwtSignerError",
            message: "Failed to generate JWT signer, check your JWT secret or JWKS configuration",
          },
        };
      }
      return { refused: { code: "JwtSignatureError", message: "Failed to validate JWT signature" } };
    }
    if (typeof claims.role !== "string" || typeof claims.exp !== "number") {
      return { refused: { code: "InvalidJWTToken", message: "Fields `role` and `exp` are required in JWT" } };
    }
    return { claims: claims as Claims };
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

class Rollback extends Error {}

/**
 * Realtime's read check (`Realtime.Tenants.Authorization`): in one rolled-back transaction, insert
 * probe rows for `broadcast` and `presence` as the admin, switch to the token's role and claims with
 * `realtime.topic` set, and see which probe rows RLS lets that role read. A role Postgres does not
 * know, or a policy that errors, reads nothing.
 */
export async function canRead(sql: Sql, topic: string, claims: Claims): Promise<boolean> {
  let readable = false;
  try {
    await sql.begin(async (tx) => {
      const probes = await tx<{ id: string; extension: string }[]>`
        insert into realtime.messages (topic, extension, private)
        values (${topic}, 'broadcast', true), (${topic}, 'presence', true)
        returning id, extension`;
      await setAuthorizationContext(tx, topic, claims);
      const visible = await tx`
        select 1 from realtime.messages
        where topic = ${topic} and id in ${tx(probes.map((probe) => probe.id))}`;
      readable = visible.length > 0;
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback) && !isPolicyError(error)) throw error;
  }
  return readable;
}

/**
 * Realtime's write check: may this role insert a broadcast for `topic` (RLS `insert` policy)? The
 * same steps as `canRead`'s (role, claims and topic set, a probe row, nothing kept), in one call of
 * `realtime.stand_in_can_write` (dev/db/supabase-bootstrap.sql): every private REST broadcast runs
 * it, and four round trips each made the stand-in, not the product, the bottleneck of a loaded bench.
 */
export async function canWrite(sql: Sql, topic: string, claims: Claims): Promise<boolean> {
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  const [row] = await sql<{ writable: boolean }[]>`
    select realtime.stand_in_can_write(${topic}, ${claims.role}, ${JSON.stringify(claims)}, ${sub}) as writable`;
  return row?.writable === true;
}

async function setAuthorizationContext(tx: TransactionSql, topic: string, claims: Claims): Promise<void> {
  await tx`select set_config('role', ${claims.role}, true),
                  set_config('realtime.topic', ${topic}, true),
                  set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                  set_config('request.jwt.claim.sub', ${typeof claims.sub === "string" ? claims.sub : ""}, true),
                  set_config('request.jwt.claim.role', ${claims.role}, true),
                  set_config('request.headers', '{}', true)`;
}

/** Denied by RLS or privileges, an unknown role, or a policy that fails on odd input. */
function isPolicyError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("42") || code.startsWith("22"));
}
