import { EventSource } from "eventsource";
import { describe, expect, test } from "vitest";
import { SSE_HEADERS } from "../../lib/http/sse.ts";
import { signUp } from "../support/api.ts";
import { doctorJson, failedChecks, runDoctorCli } from "../support/doctor.ts";
import { withStack } from "../support/fixtures.ts";

const { stack, token: aliceToken } = withStack({ signIn: "alice@example.com" });

const doctorUrl = (query = "") => `${stack.appUrl}/api/doctor/stream${query}`;

describe("GET /api/doctor/stream", () => {
  test("is for signed-in users only", async () => {
    const response = await fetch(doctorUrl());
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "unauthorized:missing_token" });
  });

  test("a bad query parameter is 400 bad_request:doctor naming it", async () => {
    const response = await fetch(doctorUrl("?tickMs=1"), {
      headers: { authorization: `Bearer ${aliceToken()}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "bad_request:doctor", field: "tickMs" });
  });

  test("sends timed ticks stamped with their send time, then done, with the session stream's headers", async () => {
    const opened = Date.now();
    const source = new EventSource(doctorUrl("?durationMs=600&tickMs=100"), {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...init?.headers, authorization: `Bearer ${aliceToken()}` },
        }).then((response) => {
          for (const [name, value] of Object.entries(SSE_HEADERS))
            expect(response.headers.get(name)).toBe(value);
          return response;
        }),
    });
    const ticks: { seq: number; sentAt: number }[] = [];
    const done = await new Promise<{ ticks: number }>((resolve, reject) => {
      source.addEventListener("tick", (event) => ticks.push(JSON.parse(event.data)));
      source.addEventListener("done", (event) => resolve(JSON.parse(event.data)));
      source.onerror = (error) => reject(new Error(`stream failed: ${error.message}`));
    }).finally(() => source.close());
    expect(ticks.map((tick) => tick.seq)).toEqual([...Array(ticks.length).keys()]);
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(done.ticks).toBe(ticks.length);
    // Each stamp is a send time: within the request's lifetime and paced, not all at once.
    for (const tick of ticks) expect(tick.sentAt).toBeGreaterThanOrEqual(opened - 1000);
    expect(ticks.at(-1)!.sentAt - ticks[0]!.sentAt).toBeGreaterThanOrEqual(500);
  });

  test("is rate limited per user with 429 and Retry-After", async () => {
    const fresh = await signUp(stack.supabaseUrl, `doctor-${Date.now()}@example.com`);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 11; i++) {
      const response = await fetch(doctorUrl("?durationMs=0"), {
        headers: { authorization: `Bearer ${fresh}` },
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get("retry-after");
        expect(await response.json()).toMatchObject({ code: "rate_limit:doctor" });
      } else {
        await response.text();
      }
    }
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

describe("npm run doctor", () => {
  test("straight to the app every check passes, and --json prints the named checks", async () => {
    const run = await runDoctorCli([stack.appUrl, "--token", aliceToken(), "--idle", "0", "--json"]);
    const report = doctorJson(run);
    expect(report.checks.map((check) => check.name)).toEqual([
      "headers",
      "first-byte",
      "buffering",
      "compression",
      "idle",
      "http-version",
    ]);
    expect(failedChecks(report), JSON.stringify(report.checks)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(run.code).toBe(0);
  });

  test("without a token it says the stream is for signed-in users and how to pass one", async () => {
    const run = await runDoctorCli([stack.appUrl]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--token");
  });

  test("a refused token is a clear error, not a report", async () => {
    const run = await runDoctorCli([stack.appUrl, "--token", "not-a-token", "--idle", "0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/answered 401.*--token/);
  });
});
