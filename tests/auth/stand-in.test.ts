import { AuthApiError, isAuthSessionMissingError } from "@supabase/supabase-js";
import { decodeJwt, decodeProtectedHeader } from "jose";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SupabaseStandIn } from "../../dev/auth/server.ts";
import { ALICE_ID, ANON_KEY, DEV_PASSWORD, nodeClient, startTestStandIn, uniqueEmail } from "./fixture.ts";

let standIn: SupabaseStandIn;
let sql: postgres.Sql;

beforeAll(async () => {
  const started = await startTestStandIn();
  standIn = started;
  sql = postgres(started.databaseUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await standIn?.close();
});

async function signUpFresh(label: string) {
  const email = uniqueEmail(label);
  const { data, error } = await nodeClient(standIn.url).auth.signUp({ email, password: "s3cret-pass" });
  expect(error).toBeNull();
  return { email, session: data.session! };
}

describe("password sign-in with the real supabase-js", () => {
  test("alice signs in and gets a Supabase-shaped session", async () => {
    const supabase = nodeClient(standIn.url);
    const { data, error } = await supabase.auth.signInWithPassword({
      email: "alice@example.com",
      password: DEV_PASSWORD,
    });
    expect(error).toBeNull();
    const session = data.session!;
    expect(session.token_type).toBe("bearer");
    expect(session.expires_in).toBe(3600);
    expect(session.refresh_token).toEqual(expect.any(String));
    expect(data.user).toMatchObject({ id: ALICE_ID, email: "alice@example.com", aud: "authenticated" });
    expect(data.user?.user_metadata).toMatchObject({ display_name: "Alice" });

    const header = decodeProtectedHeader(session.access_token);
    expect(header).toMatchObject({ alg: "ES256", kid: standIn.signingKey.kid, typ: "JWT" });
    const claims = decodeJwt(session.access_token);
    expect(Object.keys(claims).sort()).toEqual(
      [
        "aal",
        "amr",
        "app_metadata",
        "aud",
        "email",
        "exp",
        "iat",
        "is_anonymous",
        "iss",
        "phone",
        "role",
        "session_id",
        "sub",
        "user_metadata",
      ].sort(),
    );
    expect(claims).toMatchObject({
      iss: `${standIn.url}/auth/v1`,
      sub: ALICE_ID,
      aud: "authenticated",
      role: "authenticated",
      email: "alice@example.com",
      phone: "",
      aal: "aal1",
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"] },
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(session.expires_at).toBe(claims.exp);
    expect((claims.amr as { method: string }[])[0]?.method).toBe("password");
    const [row] = await sql`select user_id from auth.sessions where id = ${claims.session_id as string}`;
    expect(row?.user_id).toBe(ALICE_ID);
  });

  test("getUser returns the signed-in user and getClaims verifies the token against the JWKS", async () => {
    const supabase = nodeClient(standIn.url);
    const { data: signIn } = await supabase.auth.signInWithPassword({
      email: "alice@example.com",
      password: DEV_PASSWORD,
    });
    const { data, error } = await supabase.auth.getUser();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ id: ALICE_ID, email: "alice@example.com", role: "authenticated" });
    expect(data.user?.identities?.[0]?.provider).toBe("email");

    const claims = await supabase.auth.getClaims(signIn.session!.access_token);
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.sub).toBe(ALICE_ID);
  });

  test("a wrong password surfaces as AuthApiError invalid_credentials (400)", async () => {
    const { data, error } = await nodeClient(standIn.url).auth.signInWithPassword({
      email: "alice@example.com",
      password: "not-the-password",
    });
    expect(data.session).toBeNull();
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_credentials",
      message: "Invalid login credentials",
    });
  });

  test("an unknown email gets the same invalid_credentials error", async () => {
    const { error } = await nodeClient(standIn.url).auth.signInWithPassword({
      email: uniqueEmail("nobody"),
      password: DEV_PASSWORD,
    });
    expect(error).toMatchObject({ status: 400, code: "invalid_credentials" });
  });

  test("error bodies follow GoTrue's shape for the requested API version", async () => {
    const request = (headers: Record<string, string>) =>
      fetch(`${standIn.url}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { "content-type": "application/json", apikey: ANON_KEY, ...headers },
        body: JSON.stringify({ email: "alice@example.com", password: "wrong" }),
      });
    const legacy = await request({});
    expect(legacy.status).toBe(400);
    expect(await legacy.json()).toEqual({
      code: 400,
      error_code: "invalid_credentials",
      msg: "Invalid login credentials",
    });
    expect(legacy.headers.get("x-supabase-api-version")).toBeNull();

    const versioned = await request({ "x-supabase-api-version": "2024-01-01" });
    expect(versioned.status).toBe(400);
    expect(versioned.headers.get("x-supabase-api-version")).toBe("2024-01-01");
    expect(await versioned.json()).toEqual({
      code: "invalid_credentials",
      message: "Invalid login credentials",
    });

    const unsupported = await fetch(`${standIn.url}/auth/v1/token?grant_type=magic`, { method: "POST" });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toEqual({ error: "unsupported_grant_type", error_description: "" });
  });
});

describe("refresh tokens", () => {
  test("refreshSession rotates the refresh token and revokes the old one", async () => {
    const { session } = await signUpFresh("rotate");
    const supabase = nodeClient(standIn.url);
    const { data, error } = await supabase.auth.refreshSession({ refresh_token: session.refresh_token });
    expect(error).toBeNull();
    const next = data.session!;
    expect(next.refresh_token).not.toBe(session.refresh_token);
    expect(next.access_token).not.toBe(session.access_token);
    expect(decodeJwt(next.access_token).session_id).toBe(decodeJwt(session.access_token).session_id);

    const rows = await sql<{ token: string; revoked: boolean; parent: string | null }[]>`
      select token, revoked, parent from auth.refresh_tokens
      where token in (${session.refresh_token}, ${next.refresh_token}) order by id`;
    expect(rows).toEqual([
      { token: session.refresh_token, revoked: true, parent: null },
      { token: next.refresh_token, revoked: false, parent: session.refresh_token },
    ]);
  });

  test("reusing a revoked refresh token is refused and revokes the whole session", async () => {
    const { session } = await signUpFresh("reuse");
    const supabase = nodeClient(standIn.url);
    const second = (await supabase.auth.refreshSession({ refresh_token: session.refresh_token })).data
      .session!;
    const third = (await supabase.auth.refreshSession({ refresh_token: second.refresh_token })).data.session!;
    expect(third.refresh_token).toEqual(expect.any(String));

    const { error } = await supabase.auth.refreshSession({ refresh_token: session.refresh_token });
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({ status: 400, code: "refresh_token_already_used" });

    const afterTheft = await supabase.auth.refreshSession({ refresh_token: third.refresh_token });
    expect(afterTheft.error).toMatchObject({ status: 400, code: "refresh_token_already_used" });
  });

  test("the parent of the active token gets the active token back (a lost refresh response)", async () => {
    const { session } = await signUpFresh("lost-response");
    const supabase = nodeClient(standIn.url);
    const second = (await supabase.auth.refreshSession({ refresh_token: session.refresh_token })).data
      .session!;
    const retried = await supabase.auth.refreshSession({ refresh_token: session.refresh_token });
    expect(retried.error).toBeNull();
    expect(retried.data.session?.refresh_token).toBe(second.refresh_token);
  });

  test("an unknown refresh token is refresh_token_not_found", async () => {
    const { error } = await nodeClient(standIn.url).auth.refreshSession({ refresh_token: "no-such-token" });
    expect(error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });
});

describe("sign-up and sign-out", () => {
  test("signUp creates an auto-confirmed user with a profile and no credits, who can then sign in", async () => {
    const email = uniqueEmail("newcomer");
    const supabase = nodeClient(standIn.url);
    const signUp = await supabase.auth.signUp({
      email,
      password: "s3cret-pass",
      options: { data: { display_name: "Newcomer" } },
    });
    expect(signUp.error).toBeNull();
    expect(signUp.data.session?.access_token).toEqual(expect.any(String));
    expect(signUp.data.user).toMatchObject({ email, user_metadata: { display_name: "Newcomer" } });
    expect(signUp.data.user?.email_confirmed_at).toEqual(expect.any(String));
    const userId = signUp.data.user!.id;

    const [profile] = await sql`select display_name from public.profiles where user_id = ${userId}`;
    expect(profile?.display_name).toBe("Newcomer");
    const credits = await sql`select 1 from public.credit_ledger where user_id = ${userId}`;
    expect(credits).toHaveLength(0);

    const signIn = await nodeClient(standIn.url).auth.signInWithPassword({ email, password: "s3cret-pass" });
    expect(signIn.error).toBeNull();
    expect(signIn.data.user?.id).toBe(userId);
  });

  test("signing up twice with one email is user_already_exists (422)", async () => {
    const { email } = await signUpFresh("twice");
    const { error } = await nodeClient(standIn.url).auth.signUp({ email, password: "s3cret-pass" });
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({ status: 422, code: "user_already_exists" });
  });

  test("a short password is weak_password (422)", async () => {
    const { error } = await nodeClient(standIn.url).auth.signUp({
      email: uniqueEmail("weak"),
      password: "123",
    });
    expect(error).toMatchObject({ status: 422, code: "weak_password" });
  });

  test("signOut ends the session: the refresh token is gone and the access token's session is missing", async () => {
    const { email } = await signUpFresh("signout");
    const supabase = nodeClient(standIn.url);
    const { data } = await supabase.auth.signInWithPassword({ email, password: "s3cret-pass" });
    const session = data.session!;
    expect((await supabase.auth.signOut()).error).toBeNull();
    expect((await supabase.auth.getSession()).data.session).toBeNull();

    const other = nodeClient(standIn.url);
    const user = await other.auth.getUser(session.access_token);
    expect(isAuthSessionMissingError(user.error)).toBe(true);
    const refresh = await other.auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refresh.error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });

  test("signOut with scope others keeps this session and ends the others", async () => {
    const { email, session: first } = await signUpFresh("others");
    const mine = nodeClient(standIn.url);
    const { data } = await mine.auth.signInWithPassword({ email, password: "s3cret-pass" });
    expect((await mine.auth.signOut({ scope: "others" })).error).toBeNull();

    const probe = nodeClient(standIn.url);
    expect((await probe.auth.getUser(data.session!.access_token)).error).toBeNull();
    const ended = await probe.auth.refreshSession({ refresh_token: first.refresh_token });
    expect(ended.error).toMatchObject({ code: "refresh_token_not_found" });
  });

  test("GET /user without a bearer token is 401 no_authorization", async () => {
    const response = await fetch(`${standIn.url}/auth/v1/user`, { headers: { apikey: ANON_KEY } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error_code: "no_authorization" });
  });
});

describe("HTTP surface", () => {
  test("the JWKS publishes only the public ES256 key", async () => {
    const response = await fetch(`${standIn.url}/auth/v1/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", kid: standIn.signingKey.kid });
    expect(keys[0]).not.toHaveProperty("d");
  });

  test("a browser preflight is answered with the origin echoed and the Supabase headers allowed", async () => {
    const response = await fetch(`${standIn.url}/auth/v1/token?grant_type=password`, {
      method: "OPTIONS",
      headers: {
        origin: "http://127.0.0.1:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "apikey, authorization, content-type, x-client-info, x-supabase-api-version",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:3000");
    const allowed = response.headers.get("access-control-allow-headers") ?? "";
    for (const header of [
      "apikey",
      "authorization",
      "content-type",
      "x-client-info",
      "x-supabase-api-version",
    ]) {
      expect(allowed).toContain(header);
    }
    const actual = await fetch(`${standIn.url}/auth/v1/health`, {
      headers: { origin: "http://localhost:3000" },
    });
    expect(actual.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(actual.headers.get("access-control-expose-headers")).toContain("x-supabase-api-version");
  });

  test("settings and health answer; paths outside /auth/v1 get 404 JSON", async () => {
    const settings = await fetch(`${standIn.url}/auth/v1/settings`);
    expect(await settings.json()).toMatchObject({ mailer_autoconfirm: true, disable_signup: false });
    expect((await fetch(`${standIn.url}/auth/v1/health`)).status).toBe(200);
    const other = await fetch(`${standIn.url}/rest/v1/profiles`);
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toContain("application/json");
  });
});
