import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { api, readSse, signIn } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let token: string;

beforeAll(async () => {
  stack = await startTestStack();
  token = await signIn(stack.supabaseUrl, "alice@example.com");
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** Sends `request` as raw bytes and returns everything the server writes until it closes (or 10 s). */
function rawHttp(request: string): Promise<string> {
  const { port } = new URL(stack.appUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: Number(port) });
    let received = "";
    socket.setTimeout(10_000, () => socket.end());
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", (error) => (received ? resolve(received) : reject(error)));
    socket.on("close", () => resolve(received));
    socket.on("connect", () => socket.write(request));
  });
}

function statusAndBody(raw: string): { status: number; headers: string; body: string } {
  const [head = "", ...rest] = raw.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body: rest.join("\r\n\r\n") };
}

test("a malformed percent-encoding in an /api/ path is 400 bad_request:path JSON, not Next's plain-text 500", async () => {
  for (const path of [
    "/api/sessions/%E0%A4%A",
    "/api/sessions/%ED%A0%80",
    "/api/%E0%A4%A",
    "/api/sessions/%E0%A4%A/stream",
  ]) {
    const response = statusAndBody(
      await rawHttp(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    expect({ path, status: response.status }).toEqual({ path, status: 400 });
    expect(response.headers).toContain("content-type: application/json");
    expect(response.body).toContain('"code":"bad_request:path"');
  }
  // A well-formed escape still reaches the routes.
  const escaped = await fetch(`${stack.appUrl}/api/sessions/%E2%82%AC`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(escaped.status).toBe(404);
  expect(await escaped.json()).toMatchObject({ code: "not_found:session" });
});

test("the stream endpoint's offset and follow errors name their parameter", async () => {
  const alice = api(stack.appUrl, token);
  const events = await readSse(await alice.chat({ message: "#sim tokens=5 rate=0 seed=params" }));
  const { sessionId } = JSON.parse(events[0]!.data) as { sessionId: string };
  for (const [query, init, code, field] of [
    ["?offset=abc", {}, "bad_request:offset", "offset"],
    ["?offset=-4", {}, "bad_request:offset", "offset"],
    ["?follow=maybe", {}, "bad_request:follow", "follow"],
    ["", { headers: { "last-event-id": "nope" } }, "bad_request:offset", "Last-Event-ID"],
  ] as const) {
    const response = await alice.stream(sessionId, query, init);
    expect({ query, status: response.status }).toEqual({ query, status: 400 });
    const error = (await response.json()) as { code: string; field: string; message: string };
    expect({ query, code: error.code, field: error.field }).toEqual({ query, code, field });
    expect(error.message.startsWith(`${field}:`)).toBe(true);
  }
});

// Node's HTTP parser answers these before Next.js or the app sees a request, with no body at all;
// the README says so. These tests pin that behaviour so the README stays true.
test("a 20 KB Authorization header is answered 431 by Node alone, without a body", async () => {
  const request = `GET /api/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${"a".repeat(20_000)}\r\nConnection: close\r\n\r\n`;
  expect(statusAndBody(await rawHttp(request))).toMatchObject({ status: 431, body: "" });
});

test("a content-length that lies (too short, not a number) is answered 400 by Node alone, without a body", async () => {
  for (const length of ["3", "abc"]) {
    const request =
      `POST /api/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n{"message":"hi"}`;
    expect({ length, ...statusAndBody(await rawHttp(request)) }).toMatchObject({
      length,
      status: 400,
      body: "",
    });
  }
});
