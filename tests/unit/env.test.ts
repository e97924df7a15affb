import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test } from "vitest";
import {
  jwtIssuer,
  LIVE_ROUTE_MAX_DURATION_SECONDS,
  listenUrl,
  parseEnv,
  requireSetting,
} from "../../lib/env.ts";

test("no production variable set means the local defaults", () => {
  const env = parseEnv({});
  expect(env).toMatchObject({
    APP_URL: "http://127.0.0.1:3000",
    DATABASE_URL: "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
    SUPABASE_URL: "http://127.0.0.1:54321",
    LIVE_BUDGET_SECONDS: 740,
    CHECKPOINT_MS: 100,
    CHECKPOINT_IDLE_MS: 1000,
    CHECKPOINT_BYTES: 8192,
    SIGNUP_CREDITS: 0,
  });
  expect(env.AGENTS.map((agent) => `${agent.name} ${agent.url}`)).toEqual([
    "sim-openclaw http://127.0.0.1:18789/openclaw",
    "sim-openai-bg http://127.0.0.1:18789/openai/v1",
    "sim-chat http://127.0.0.1:18789/openai/v1",
    "sim-anthropic http://127.0.0.1:18789/anthropic",
  ]);
  expect(env.AGENT_MISSING_FAIL_SECONDS).toBe(600);
  expect(env.TRIGGER_SECRET_KEY).toBeUndefined();
  expect(jwtIssuer(env)).toBe("http://127.0.0.1:54321/auth/v1");
});

test("a bad value fails with a sentence naming the variable", () => {
  expect(() => parseEnv({ LIVE_BUDGET_SECONDS: "soon" })).toThrow(/LIVE_BUDGET_SECONDS/);
  expect(() => parseEnv({ DATABASE_URL: "not a url" })).toThrow(/DATABASE_URL/);
});

test("using an optional integration that is not configured names the variable to set", () => {
  expect(() => requireSetting(parseEnv({}), "TRIGGER_PROJECT_REF")).toThrow("TRIGGER_PROJECT_REF is not set");
  expect(requireSetting(parseEnv({ TRIGGER_SECRET_KEY: "tr_dev_x" }), "TRIGGER_SECRET_KEY")).toBe("tr_dev_x");
});

test("a LISTEN on a transaction-pooler URL is refused with a sentence", () => {
  const pooler = "postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres";
  const session = "postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres";
  expect(() => parseEnv({ DATABASE_URL: pooler })).toThrow(
    /DATABASE_URL \(used for LISTEN because DATABASE_LISTEN_URL is not set\) is a transaction-pooler URL.*set DATABASE_LISTEN_URL/,
  );
  expect(() => parseEnv({ DATABASE_URL: session, DATABASE_LISTEN_URL: pooler })).toThrow(
    /DATABASE_LISTEN_URL is a transaction-pooler URL/,
  );
  expect(() => parseEnv({ DATABASE_URL: `${session}?pgbouncer=true` })).toThrow(/transaction-pooler/);
  const env = parseEnv({ DATABASE_URL: pooler, DATABASE_LISTEN_URL: session });
  expect(listenUrl(env)).toBe(session);
  expect(listenUrl(parseEnv({ DATABASE_URL: session }))).toBe(session);
  expect(() => parseEnv({ DATABASE_LISTEN_URL: "not a url" })).toThrow(/DATABASE_LISTEN_URL/);
});

test("a live budget that does not fit the route's maxDuration is an error naming both", () => {
  expect(() => parseEnv({ LIVE_BUDGET_SECONDS: "790" })).toThrow(
    /LIVE_BUDGET_SECONDS \(790\) does not fit the live route's maxDuration \(800 s/,
  );
  expect(
    parseEnv({ LIVE_BUDGET_SECONDS: String(LIVE_ROUTE_MAX_DURATION_SECONDS - 30) }).LIVE_BUDGET_SECONDS,
  ).toBe(770);
});

test("the maxDuration the settings check against is the one the live routes declare", async () => {
  for (const file of [
    "app/api/chat/route.ts",
    "app/api/sessions/[id]/stream/route.ts",
    "app/api/doctor/stream/route.ts",
  ]) {
    const source = await readFile(path.resolve(import.meta.dirname, "..", "..", file), "utf8");
    expect(source, file).toContain(`export const maxDuration = ${LIVE_ROUTE_MAX_DURATION_SECONDS};`);
  }
});
