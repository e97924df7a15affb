import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api, readSse, signIn, signUp, textOfDeltas, waitFor } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let sql: postgres.Sql;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;
let aliceToken: string;
let aliceSessionId: string;
let aliceConversationId: string;

beforeAll(async () => {
  stack = await startTestStack({ env: { CHAT_REQUESTS_PER_MINUTE: "3", MAX_LIVE_SESSIONS_PER_USER: "1" } });
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  aliceToken = await signIn(stack.supabaseUrl, "alice@example.com");
  alice = api(stack.appUrl, aliceToken);
  bob = api(stack.appUrl, await signIn(stack.supabaseUrl, "bob@example.com"));
  const events = await readSse(await alice.chat({ message: "#sim tokens=40 rate=0 seed=owned" }));
  ({ sessionId: aliceSessionId, conversationId: aliceConversationId } = JSON.parse(events[0]!.data));
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

/** A fresh user with `credits` credits, for tests that count per-user limits. */
async function freshUser(credits: number) {
  const email = `user-${randomUUID()}@example.com`;
  const token = await signUp(stack.supabaseUrl, email);
  if (credits > 0) {
    await sql`insert into credit_ledger (user_id, amount, kind, idempotency_key)
              select id, ${credits}, 'grant', ${`test:${email}`} from auth.users where email = ${email}`;
  }
  return api(stack.appUrl, token);
}

describe("POST /api/chat rejects bad input with a code", () => {
  test("invalid JSON is 400 bad_request:chat", async () => {
    const response = await alice.chat("{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "bad_request:chat" });
  });

  test("a schema error is 400 bad_request:chat naming the field", async () => {
    for (const [body, field] of [
      [{}, "message"],
      [{ message: "" }, "message"],
      [{ message: "x".repeat(32_001) }, "message"],
      [{ message: "hi", mode: "sometimes" }, "mode"],
      [{ message: "hi", conversationId: "nope" }, "conversationId"],
    ] as const) {
      const response = await alice.chat(body);
      expect(response.status).toBe(400);
      const error = await response.json();
      expect(error).toMatchObject({ code: "bad_request:chat", field });
      expect(error.message).toContain(field);
    }
  });

  test("a body over 64 KiB is 413", async () => {
    const response = await alice.chat({ message: "x".repeat(70 * 1024) });
    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe("payload_too_large:body");
  });

  test("no token, or a tampered one, is 401", async () => {
    const anonymous = await fetch(`${stack.appUrl}/api/chat`, { method: "POST", body: "{}" });
    expect(anonymous.status).toBe(401);
    const [header, payload, signature] = aliceToken.split(".");
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), sub: randomUUID() }),
    ).toString("base64url");
    const tampered = await api(stack.appUrl, `${header}.${forged}.${signature}`).chat({ message: "hi" });
    expect(tampered.status).toBe(401);
    expect((await tampered.json()).code).toMatch(/^unauthorized:/);
  });

  test("another user's conversation is 404", async () => {
    const response = await bob.chat({ message: "hi", conversationId: aliceConversationId });
    expect(response.status).toBe(404);
    expect((await response.json()).code).toBe("not_found:conversation");
  });

  test("a balance below the minimum is 402 with the balance", async () => {
    const broke = await freshUser(0);
    const response = await broke.chat({ message: "hi" });
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({ code: "payment_required:credits", balance: 0 });
  });

  test("past the requests-per-minute limit is 429 with Retry-After", async () => {
    const user = await freshUser(100);
    for (let i = 0; i < 3; i++) {
      const response = await user.chat({ message: `#sim tokens=5 rate=0 seed=${i}`, mode: "background" });
      expect(response.status).toBe(202);
    }
    const limited = await user.chat({ message: "#sim tokens=5 rate=0" });
    expect(limited.status).toBe(429);
    expect((await limited.json()).code).toBe("rate_limit:requests");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("past the concurrent live sessions limit is 429 with Retry-After", async () => {
    const user = await freshUser(100);
    const running = await user.chat({ message: "#sim tokens=400 rate=40" });
    expect(running.status).toBe(200);
    const [first] = await readSse(running, { until: (event) => event.event === "session" });
    const limited = await user.chat({ message: "#sim tokens=5 rate=0" });
    expect(limited.status).toBe(429);
    expect((await limited.json()).code).toBe("rate_limit:live_sessions");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    await user.cancel(JSON.parse(first!.data).sessionId);
  });
});

describe("GET /api/sessions", () => {
  test("401 without a token or with a tampered one, with an unauthorized code", async () => {
    const missing = await fetch(`${stack.appUrl}/api/sessions`);
    expect(missing.status).toBe(401);
    expect((await missing.json()).code).toBe("unauthorized:missing_token");
    const tampered = await api(stack.appUrl, `${aliceToken.slice(0, -4)}AAAA`).list();
    expect(tampered.status).toBe(401);
    expect((await tampered.json()).code).toBe("unauthorized:invalid_token");
  });
});

describe("another user's session is a 404 on every endpoint", () => {
  test("Bob gets the same 404 for Alice's session as for one that does not exist", async () => {
    for (const id of [aliceSessionId, randomUUID(), "not-a-uuid"]) {
      for (const response of [await bob.snapshot(id), await bob.stream(id), await bob.cancel(id)]) {
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ code: "not_found:session", message: "Session not found." });
      }
    }
    const listed = (await (await bob.list()).json()) as { id: string }[];
    expect(listed.map((session) => session.id)).not.toContain(aliceSessionId);
  });

  test("Alice lists her sessions newest first", async () => {
    const listed = (await (await alice.list()).json()) as { id: string; createdAt: string }[];
    expect(listed.map((session) => session.id)).toContain(aliceSessionId);
    const times = listed.map((session) => Date.parse(session.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});

describe("the stream endpoint validates offsets", () => {
  test("an offset past the end of a finished session is 400", async () => {
    const snapshot = await (await alice.snapshot(aliceSessionId)).json();
    const response = await alice.stream(aliceSessionId, `?offset=${snapshot.offset + 1}`);
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe("bad_request:offset");
  });

  test("an offset inside a multi-byte character is 400", async () => {
    const snapshot = await (await alice.snapshot(aliceSessionId)).json();
    const bytes = Buffer.from(snapshot.output as string, "utf8");
    const inside = bytes.findIndex((byte) => (byte & 0xc0) === 0x80);
    expect(inside).toBeGreaterThan(0);
    const response = await alice.stream(aliceSessionId, `?offset=${inside}`);
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe("bad_request:offset");
  });

  test("a non-numeric offset is 400; Last-Event-ID resumes like ?offset", async () => {
    expect((await alice.stream(aliceSessionId, "?offset=abc")).status).toBe(400);
    const snapshot = await (await alice.snapshot(aliceSessionId)).json();
    const bytes = Buffer.from(snapshot.output as string, "utf8");
    let at = 10;
    while (((bytes[at] ?? 0) & 0xc0) === 0x80) at++;
    const events = await readSse(
      await alice.stream(aliceSessionId, "", { headers: { "last-event-id": String(at) } }),
    );
    expect(textOfDeltas(events, at)).toBe(bytes.subarray(at).toString("utf8"));
  });
});

describe("cancel", () => {
  test("cancelling a running live session stops it, keeps the partial output, and readers see it end", async () => {
    const response = await alice.chat({ message: "#sim tokens=2000 rate=50 seed=cancel-live" });
    const events = await readSse(response, { until: (event) => event.event === "delta" });
    const sessionId = JSON.parse(events[0]!.data).sessionId as string;
    await waitFor(async () =>
      (await (await alice.snapshot(sessionId)).json()).offset > 0 ? true : undefined,
    );
    const cancelled = await alice.cancel(sessionId);
    expect(cancelled.status).toBe(200);
    expect((await cancelled.json()).status).toBe("cancelled");
    const snapshot = await (await alice.snapshot(sessionId)).json();
    expect(snapshot.status).toBe("cancelled");
    expect(snapshot.offset).toBeGreaterThan(0);
    const replay = await readSse(await alice.stream(sessionId));
    expect(textOfDeltas(replay)).toBe(snapshot.output);
    expect(replay.at(-1)).toMatchObject({ event: "error" });
    expect(JSON.parse(replay.at(-1)!.data).code).toBe("cancelled");
  });

  test("cancelling a finished session is 409", async () => {
    const response = await alice.cancel(aliceSessionId);
    expect(response.status).toBe(409);
    expect((await response.json()).code).toMatch(/^conflict:/);
  });
});

describe("every API error is JSON with a code", () => {
  test("a NUL character in the message is 400 bad_request:chat naming the field", async () => {
    const response = await alice.chat({ message: "before\u0000after" });
    expect(response.status).toBe(400);
    const error = await response.json();
    expect(error).toMatchObject({ code: "bad_request:chat", field: "message" });
    expect(error.message).toContain("NUL");
  });

  test("a wrong method on every API route is 405 JSON {code, message} with Allow", async () => {
    const routes = await apiRoutePaths();
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const path of routes) {
      const url = `${stack.appUrl}${path.replaceAll(/\[[^\]]+\]/g, randomUUID())}`;
      const options = await fetch(url, { method: "OPTIONS" });
      const allow = options.headers.get("allow") ?? "";
      expect(allow, path).toContain("OPTIONS");
      const refused = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].filter(
        (method) => !allow.includes(method),
      );
      expect(refused.length, path).toBeGreaterThan(0);
      for (const method of refused) {
        const response = await fetch(url, { method, headers: { authorization: `Bearer ${aliceToken}` } });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get("allow"), `${method} ${path}`).toBe(allow);
        expect(response.headers.get("content-type"), `${method} ${path}`).toContain("application/json");
        if (method === "HEAD") continue;
        expect(await response.json(), `${method} ${path}`).toMatchObject({
          code: "method_not_allowed:request",
          message: expect.stringContaining(method),
        });
      }
    }
  });

  test("an API path no route answers is a JSON 404, not an HTML page", async () => {
    for (const method of ["GET", "POST", "DELETE"]) {
      const response = await fetch(`${stack.appUrl}/api/no-such-endpoint/x`, { method });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: "not_found:route" });
    }
  });
});

/** The URL path of every API route file in app/api (dynamic segments kept as `[name]`). */
async function apiRoutePaths(): Promise<string[]> {
  const root = fileURLToPath(new URL("../../app/api/", import.meta.url));
  const files = await readdir(root, { recursive: true });
  return files
    .filter((file) => file.endsWith("route.ts") && !file.includes("[..."))
    .map((file) => `/api/${dirname(file)}`.replace(/\/\.$/, ""));
}
