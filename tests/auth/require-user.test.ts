import { createServerClient } from "@supabase/ssr";
import { decodeJwt, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signAccessToken } from "../../dev/auth/access-token.ts";
import type { SupabaseStandIn } from "../../dev/auth/server.ts";
import { freePort } from "../../dev/net.ts";
import { createRequireUser, sessionCookieName } from "../../lib/auth/index.ts";
import { createSql } from "../../lib/db/client.ts";
import { parseEnv } from "../../lib/env.ts";
import { AppError } from "../../lib/errors.ts";
import { createRuntime } from "../../lib/runtime/runtime.ts";
import {
  ALICE_ID,
  ANON_KEY,
  BOB_ID,
  DEV_PASSWORD,
  nodeClient,
  startTestStandIn,
  uniqueEmail,
} from "./fixture.ts";

let standIn: SupabaseStandIn;
let verifyRequest: (request: Request) => Promise<unknown>;
let aliceToken: string;

beforeAll(async () => {
  standIn = await startTestStandIn();
  verifyRequest = createRequireUser({ env: parseEnv({ SUPABASE_URL: standIn.url }) });
  const { data, error } = await nodeClient(standIn.url).auth.signInWithPassword({
    email: "alice@example.com",
    password: DEV_PASSWORD,
  });
  if (error) throw error;
  aliceToken = data.session!.access_token;
});
afterAll(async () => {
  await standIn?.close();
});

const bearer = (token: string) =>
  new Request("http://app.test/api/sessions", { headers: { authorization: `Bearer ${token}` } });

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Signs in through @supabase/ssr's server client and returns the Cookie header a browser would send. */
async function ssrCookieHeader(
  credentials: { email: string; password: string },
  cookieEncoding: "base64url" | "raw" = "base64url",
): Promise<{ header: string; names: string[] }> {
  const jar = new Map<string, string>();
  const supabase = createServerClient(standIn.url, ANON_KEY, {
    cookieEncoding,
    cookies: {
      getAll: () => [...jar].map(([name, value]) => ({ name, value })),
      setAll: (cookies) => {
        for (const { name, value, options } of cookies) {
          if (options.maxAge === 0 || value === "") jar.delete(name);
          else jar.set(name, value);
        }
      },
    },
  });
  const { error } = await supabase.auth.signInWithPassword(credentials);
  if (error) throw error;
  const names = [...jar.keys()].filter((name) => name.startsWith(sessionCookieName(standIn.url)));
  const header = [...jar].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("; ");
  return { header, names };
}

const withCookie = (cookie: string) => new Request("http://app.test/api/sessions", { headers: { cookie } });

describe("requireUser accepts", () => {
  test("a stand-in access token as Authorization: Bearer, verified through the JWKS", async () => {
    await expect(verifyRequest(bearer(aliceToken))).resolves.toEqual({
      id: ALICE_ID,
      email: "alice@example.com",
      role: "authenticated",
      sessionId: decodeJwt(aliceToken).session_id,
      accessToken: aliceToken,
    });
  });

  test("the @supabase/ssr session cookie (base64url encoding)", async () => {
    const { header, names } = await ssrCookieHeader({ email: "alice@example.com", password: DEV_PASSWORD });
    expect(names).toEqual(["sb-127-auth-token"]);
    expect(header).toContain("sb-127-auth-token=base64-");
    await expect(verifyRequest(withCookie(`theme=dark; ${header}`))).resolves.toMatchObject({ id: ALICE_ID });
  });

  test("the session cookie in raw JSON encoding", async () => {
    const { header } = await ssrCookieHeader({ email: "alice@example.com", password: DEV_PASSWORD }, "raw");
    expect(header).not.toContain("base64-");
    await expect(verifyRequest(withCookie(header))).resolves.toMatchObject({ id: ALICE_ID });
  });

  test("a session cookie split into chunks .0, .1, …", async () => {
    const email = uniqueEmail("chunky");
    const signUp = await nodeClient(standIn.url).auth.signUp({
      email,
      password: "s3cret-pass",
      options: { data: { bio: "x".repeat(6000) } },
    });
    expect(signUp.error).toBeNull();
    const { header, names } = await ssrCookieHeader({ email, password: "s3cret-pass" });
    expect(names.length).toBeGreaterThan(1);
    expect(names).toContain("sb-127-auth-token.0");
    expect(names).toContain("sb-127-auth-token.1");
    await expect(verifyRequest(withCookie(header))).resolves.toMatchObject({
      id: signUp.data.user!.id,
      email,
    });
  });

  test("a runtime's requireUser verifies with the settings the runtime was built with", async () => {
    const env = parseEnv({ SUPABASE_URL: standIn.url });
    // The pool is never queried: requireUser needs only the settings.
    const sql = createSql(env.DATABASE_URL, 1);
    try {
      const runtime = createRuntime({ sql, env, observers: [] });
      await expect(runtime.requireUser(bearer(aliceToken))).resolves.toMatchObject({ id: ALICE_ID });
      const elsewhere = createRuntime({
        sql,
        env: parseEnv({ SUPABASE_URL: "http://127.0.0.1:9" }),
        observers: [],
      });
      // Another project's keys: this project's token is not accepted there.
      await rejection(elsewhere.requireUser(bearer(aliceToken)));
    } finally {
      await sql.end();
    }
  });
});

describe("requireUser rejects with a 401 code", () => {
  test("no token at all: unauthorized:missing_token", async () => {
    const error = await rejection(verifyRequest(new Request("http://app.test/api/sessions")));
    expect(error.code).toBe("unauthorized:missing_token");
    expect(error.status).toBe(401);
  });

  test("a token whose signature byte was flipped: unauthorized:invalid_token", async () => {
    const [header, payload, signature] = aliceToken.split(".") as [string, string, string];
    const bytes = Buffer.from(signature, "base64url");
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    const tampered = `${header}.${payload}.${bytes.toString("base64url")}`;
    const error = await rejection(verifyRequest(bearer(tampered)));
    expect(error.code).toBe("unauthorized:invalid_token");
    expect(error.status).toBe(401);
  });

  test("a token whose payload claims another user: unauthorized:invalid_token", async () => {
    const [header, payload, signature] = aliceToken.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: BOB_ID })).toString("base64url");
    const error = await rejection(verifyRequest(bearer(`${header}.${forged}.${signature}`)));
    expect(error.code).toBe("unauthorized:invalid_token");
  });

  test("an expired token signed with the stand-in's key: unauthorized:expired_token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signAccessToken(standIn.signingKey, {
      ...decodeJwt(aliceToken),
      iat: now - 7200,
      exp: now - 3600,
    });
    const error = await rejection(verifyRequest(bearer(expired)));
    expect(error.code).toBe("unauthorized:expired_token");
    expect(error.status).toBe(401);
  });

  test("a token for another audience: unauthorized:invalid_token", async () => {
    const token = await signAccessToken(standIn.signingKey, { ...decodeJwt(aliceToken), aud: "anon" });
    expect((await rejection(verifyRequest(bearer(token)))).code).toBe("unauthorized:invalid_token");
  });

  test("a token from another issuer: unauthorized:invalid_token", async () => {
    const token = await signAccessToken(standIn.signingKey, {
      ...decodeJwt(aliceToken),
      iss: "https://other-project.supabase.co/auth/v1",
    });
    expect((await rejection(verifyRequest(bearer(token)))).code).toBe("unauthorized:invalid_token");
  });

  test("a token without a subject: unauthorized:invalid_token", async () => {
    const { sub: _sub, ...claims } = decodeJwt(aliceToken);
    const token = await signAccessToken(standIn.signingKey, claims);
    expect((await rejection(verifyRequest(bearer(token)))).code).toBe("unauthorized:invalid_token");
  });

  test("a non-Bearer Authorization header or an unreadable cookie: unauthorized:invalid_token", async () => {
    const basic = new Request("http://app.test/", { headers: { authorization: "Basic YWxpY2U6cHc=" } });
    expect((await rejection(verifyRequest(basic))).code).toBe("unauthorized:invalid_token");
    const garbage = withCookie("sb-127-auth-token=base64-bm90LWpzb24");
    expect((await rejection(verifyRequest(garbage))).code).toBe("unauthorized:invalid_token");
  });

  test("an unreachable JWKS is our outage: unavailable:auth_keys (503), not a 401", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const verify = createRequireUser({
      env: parseEnv({ SUPABASE_URL: closed, SUPABASE_JWT_ISSUER: `${standIn.url}/auth/v1` }),
    });
    const error = await rejection(verify(bearer(aliceToken)));
    expect(error.code).toBe("unavailable:auth_keys");
    expect(error.status).toBe(503);
  });
});

describe("legacy HS256 secret (SUPABASE_JWT_SECRET set)", () => {
  const secret = "super-secret-jwt-token-with-at-least-32-characters-long";
  const secretEnv = () => parseEnv({ SUPABASE_URL: standIn.url, SUPABASE_JWT_SECRET: secret });
  const hs256 = (claims: Record<string, unknown>, key = secret) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(key));

  test("accepts an HS256 token signed with the secret", async () => {
    const token = await hs256(decodeJwt(aliceToken));
    const verify = createRequireUser({ env: secretEnv() });
    await expect(verify(bearer(token))).resolves.toMatchObject({ id: ALICE_ID, email: "alice@example.com" });
  });

  test("rejects HS256 tokens signed with another secret, and ES256 tokens, as invalid", async () => {
    const verify = createRequireUser({ env: secretEnv() });
    const wrongSecret = await hs256(decodeJwt(aliceToken), "another-secret-another-secret-another-secret");
    expect((await rejection(verify(bearer(wrongSecret)))).code).toBe("unauthorized:invalid_token");
    expect((await rejection(verify(bearer(aliceToken)))).code).toBe("unauthorized:invalid_token");
  });

  test("an expired HS256 token is unauthorized:expired_token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await hs256({ ...decodeJwt(aliceToken), iat: now - 100, exp: now - 10 });
    const verify = createRequireUser({ env: secretEnv() });
    expect((await rejection(verify(bearer(token)))).code).toBe("unauthorized:expired_token");
  });
});
