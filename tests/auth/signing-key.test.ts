import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signAccessToken } from "../../dev/auth/access-token.ts";
import { startSupabaseStandIn } from "../../dev/auth/server.ts";
import { loadOrCreateSigningKey } from "../../dev/auth/signing-key.ts";
import { createTestDatabase } from "../support/database.ts";
import { DEV_PASSWORD, nodeClient } from "./fixture.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "overtime-auth-key-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("a key persisted to a file is the same key after reloading, and the file is private", async () => {
  const file = path.join(dir, "nested", "key.json");
  const first = await loadOrCreateSigningKey(file);
  const second = await loadOrCreateSigningKey(file);
  expect(second.kid).toBe(first.kid);
  expect(second.publicJwk).toEqual(first.publicJwk);
  expect((await stat(file)).mode & 0o077).toBe(0);

  const token = await signAccessToken(first, { sub: "someone", exp: Math.floor(Date.now() / 1000) + 60 });
  const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [second.publicJwk] }));
  expect(payload.sub).toBe("someone");
});

test("without a file every key is new", async () => {
  const [a, b] = await Promise.all([loadOrCreateSigningKey(), loadOrCreateSigningKey()]);
  expect(a.kid).not.toBe(b.kid);
  expect(a.publicJwk).not.toHaveProperty("d");
});

test("a session issued before a restart of the stand-in still works after it (state dir)", async () => {
  const stateDir = path.join(dir, "state");
  const database = await createTestDatabase();
  const options = { port: 0, databaseUrl: database.url, stateDir };
  const before = await startSupabaseStandIn(options);
  let accessToken: string;
  try {
    const { data, error } = await nodeClient(before.url).auth.signInWithPassword({
      email: "bob@example.com",
      password: DEV_PASSWORD,
    });
    expect(error).toBeNull();
    accessToken = data.session!.access_token;
  } finally {
    await before.close();
  }
  const after = await startSupabaseStandIn(options);
  try {
    expect(after.signingKey.kid).toBe(before.signingKey.kid);
    const { data, error } = await nodeClient(after.url).auth.getUser(accessToken);
    expect(error).toBeNull();
    expect(data.user?.email).toBe("bob@example.com");
  } finally {
    await after.close();
    await database.drop();
  }
});
