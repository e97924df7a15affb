import { expect, test } from "vitest";
import { getEnv, jwtIssuer, requireSetting } from "../../lib/env.ts";

test("no production variable set means the local defaults", () => {
  const env = getEnv({});
  expect(env).toMatchObject({
    APP_URL: "http://127.0.0.1:3000",
    DATABASE_URL: "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
    SUPABASE_URL: "http://127.0.0.1:54321",
    AGENTS: [],
    LIVE_BUDGET_SECONDS: 740,
    CHECKPOINT_MS: 250,
    CHECKPOINT_BYTES: 8192,
    SIGNUP_CREDITS: 0,
  });
  expect(env.TRIGGER_SECRET_KEY).toBeUndefined();
  expect(jwtIssuer(env)).toBe("http://127.0.0.1:54321/auth/v1");
});

test("a bad value fails with a sentence naming the variable", () => {
  expect(() => getEnv({ LIVE_BUDGET_SECONDS: "soon" })).toThrow(/LIVE_BUDGET_SECONDS/);
  expect(() => getEnv({ DATABASE_URL: "not a url" })).toThrow(/DATABASE_URL/);
});

test("using an optional integration that is not configured names the variable to set", () => {
  expect(() => requireSetting(getEnv({}), "RESEND_API_KEY")).toThrow("RESEND_API_KEY is not set");
  expect(requireSetting(getEnv({ TRIGGER_SECRET_KEY: "tr_dev_x" }), "TRIGGER_SECRET_KEY")).toBe("tr_dev_x");
});
