import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { parseEnv } from "../../lib/env.ts";
import { api, readSse, signIn, waitFor } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let sql: postgres.Sql;
let aliceToken: string;
let bobToken: string;
let serviceKey: string;
let alice: ReturnType<typeof api>;
/** A completed session of Alice's and its exact text. */
let finished: { id: string; text: string };

const pad = (bytes: number) => String(bytes).padStart(16, "0");

beforeAll(async () => {
  stack = await startTestStack({ env: { DS_LONG_POLL_SECONDS: "2", DS_SSE_SECONDS: "2" } });
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  aliceToken = await signIn(stack.supabaseUrl, "alice@example.com");
  bobToken = await signIn(stack.supabaseUrl, "bob@example.com");
  serviceKey = parseEnv(stack.env).SUPABASE_SECRET_KEY;
  alice = api(stack.appUrl, aliceToken);
  const live = await readSse(
    await alice.chat({ message: "#sim tokens=300 rate=0 seed=ds-read", agent: "sim-chat" }),
  );
  expect(live.at(-1)?.event).toBe("done");
  finished = { id: JSON.parse(live[0]!.data).sessionId as string, text: simulatedText("ds-read", 300) };
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

function dsUrl(path: string, query = ""): string {
  return `${stack.appUrl}/api/ds/v1/stream/${path}${query}`;
}

function read(path: string, token: string | null, init: RequestInit & { query?: string } = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(dsUrl(path, init.query), { ...init, headers });
}

describe("session streams", () => {
  test("the owner reads a finished session's bytes: text/plain, zero-padded offsets, Stream-Closed", async () => {
    const response = await read(`sessions/${finished.id}`, aliceToken, { query: "?offset=-1" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(finished.text);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("stream-next-offset")).toBe(pad(Buffer.byteLength(finished.text)));
    expect(response.headers.get("stream-up-to-date")).toBe("true");
    expect(response.headers.get("stream-closed")).toBe("true");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("another user's session stream is the same 404 as a missing one; without credentials 401", async () => {
    const others = await read(`sessions/${finished.id}`, bobToken);
    const missing = await read(`sessions/${randomUUID()}`, bobToken);
    expect(others.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await others.json()).toEqual(await missing.json());
    expect((await read(`sessions/${finished.id}`, bobToken, { method: "HEAD" })).status).toBe(404);
    expect((await read(`sessions/${finished.id}`, null)).status).toBe(401);
  });

  test("session streams are read-only: writes are 405 whoever asks", async () => {
    for (const token of [aliceToken, serviceKey]) {
      for (const method of ["PUT", "POST", "DELETE"]) {
        const response = await read(`sessions/${finished.id}`, token, {
          method,
          headers: { "content-type": "text/plain" },
          body: method === "DELETE" ? undefined : "x",
        });
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      }
    }
  });

  test("an offset inside a UTF-8 character, past the end or malformed is 400", async () => {
    const bytes = Buffer.from(finished.text);
    const inside = bytes.findIndex((byte) => (byte & 0xc0) === 0x80);
    expect(inside).toBeGreaterThan(0);
    for (const offset of [pad(inside), pad(bytes.length + 1), "abc", "1,2"]) {
      const response = await read(`sessions/${finished.id}`, aliceToken, { query: `?offset=${offset}` });
      expect(response.status).toBe(400);
    }
  });

  test("ETag and If-None-Match give 304; HEAD gives the tail and Stream-Closed without a body", async () => {
    const first = await read(`sessions/${finished.id}`, aliceToken, { query: "?offset=-1" });
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await read(`sessions/${finished.id}`, aliceToken, {
      query: "?offset=-1",
      headers: { "if-none-match": etag! },
    });
    expect(again.status).toBe(304);
    const head = await read(`sessions/${finished.id}`, aliceToken, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("stream-next-offset")).toBe(pad(Buffer.byteLength(finished.text)));
    expect(head.headers.get("stream-closed")).toBe("true");
    expect(head.headers.get("cache-control")).toBe("no-store");
  });

  test("a running session: long-poll carries Stream-Cursor; SSE closes after DS_SSE_SECONDS without streamClosed", async () => {
    await stack.startWorker();
    const started = await alice.chat({
      message: "#sim tokens=4000 rate=40 seed=ds-running",
      agent: "sim-openai-bg",
      mode: "background",
    });
    const { sessionId } = (await started.json()) as { sessionId: string };
    const truth = Buffer.from(simulatedText("ds-running", 4000));
    try {
      const head = await waitFor(async () => {
        const response = await read(`sessions/${sessionId}`, aliceToken, { method: "HEAD" });
        return Number(response.headers.get("stream-next-offset")) > 0 ? response : undefined;
      });
      expect(head.headers.get("stream-closed")).toBeNull();
      const tail = head.headers.get("stream-next-offset")!;
      const poll = await read(`sessions/${sessionId}`, aliceToken, {
        query: `?offset=${tail}&live=long-poll`,
      });
      expect([200, 204]).toContain(poll.status);
      expect(poll.headers.get("stream-cursor")).toMatch(/^\d+$/);
      const next = Buffer.from(await poll.arrayBuffer());
      const end = Number(poll.headers.get("stream-next-offset"));
      expect(next.equals(truth.subarray(Number(tail), end))).toBe(true);

      const sse = await read(`sessions/${sessionId}`, aliceToken, { query: `?offset=${pad(end)}&live=sse` });
      expect(sse.headers.get("content-type")).toBe("text/event-stream");
      const events = await readSse(sse);
      const controls = events
        .filter((event) => event.event === "control")
        .map((event) => JSON.parse(event.data));
      expect(controls.at(-1)).toMatchObject({ upToDate: true, streamCursor: expect.any(String) });
      expect(controls.some((control) => control.streamClosed)).toBe(false);
      const text = events
        .filter((event) => event.event === "data")
        .map((event) => event.data)
        .join("");
      const last = Number(controls.at(-1).streamNextOffset);
      expect(Buffer.from(text).equals(truth.subarray(end, last))).toBe(true);
    } finally {
      await alice.cancel(sessionId);
    }
  });

  test("a log past retention is 410 Gone", async () => {
    const live = await readSse(
      await alice.chat({ message: "#sim tokens=50 rate=0 seed=ds-gone", agent: "sim-chat" }),
    );
    const id = JSON.parse(live[0]!.data).sessionId as string;
    await sql`delete from session_chunks where session_id = ${id}`;
    const response = await read(`sessions/${id}`, aliceToken, { query: "?offset=-1" });
    expect(response.status).toBe(410);
    expect((await response.json()).code).toBe("gone:stream");
  });
});

describe("other streams", () => {
  test("writes and reads need the service key: none, or a user's token, is 401", async () => {
    const path = `ds-auth-${Date.now()}`;
    for (const token of [null, aliceToken]) {
      expect(
        (await read(path, token, { method: "PUT", headers: { "content-type": "text/plain" } })).status,
      ).toBe(401);
    }
    const created = await read(path, serviceKey, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
    });
    expect(created.status).toBe(201);
    for (const token of [null, aliceToken]) {
      const append = await read(path, token, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "x",
      });
      expect(append.status).toBe(401);
      expect((await read(path, token, { method: "DELETE" })).status).toBe(401);
      expect((await read(path, token)).status).toBe(401);
    }
    const stored = await read(path, serviceKey, { query: "?offset=-1" });
    expect(await stored.text()).toBe("");
  });
});
