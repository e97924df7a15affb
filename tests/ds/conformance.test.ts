import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { afterAll, beforeAll } from "vitest";
import { parseEnv } from "../../lib/env.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

// The Durable Streams protocol's own conformance suite (0.3.6), unmodified, against `next start`
// at /api/ds. The only addition: the service key on the suite's requests to the app (other streams
// are for service-key holders). Fork groups are skipped (tests/ds/conformance-vitest.ts).
const options = { baseUrl: "http://127.0.0.1:1/api/ds" };
let stack: TestStack | undefined;
const originalFetch = globalThis.fetch;

beforeAll(async () => {
  // A short long-poll keeps the tests that wait for one to time out quick.
  stack = await startTestStack({ env: { DS_LONG_POLL_SECONDS: "2" } });
  const appUrl = stack.appUrl;
  options.baseUrl = `${appUrl}/api/ds`;
  const serviceKey = parseEnv(stack.env).SUPABASE_SECRET_KEY;
  globalThis.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(appUrl)) return originalFetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${serviceKey}`);
    return originalFetch(input, { ...init, headers });
  };
});

afterAll(async () => {
  globalThis.fetch = originalFetch;
  await stack?.close();
});

runConformanceTests(options);
