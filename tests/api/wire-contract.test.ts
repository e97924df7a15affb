import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { z } from "zod";
import {
  agentListSchema,
  backgroundAcceptanceSchema,
  cancelResultSchema,
  conversationSchema,
  creditsSchema,
  decodeSessionEvent,
  notificationListSchema,
  type SessionStreamEvent,
  sessionListSchema,
  sessionSnapshotSchema,
  settingsSchema,
  telegramLinkSchema,
  testNotificationAcceptedSchema,
} from "../../lib/session/wire.ts";
import { readSse, signIn } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let token: string;
/** A finished live session and a background one, started before the reads. */
let finished: SessionStreamEvent & { type: "session" };
let background: z.infer<typeof backgroundAcceptanceSchema>;

function call(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${stack.appUrl}${path}`, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** The body the route sent, decoded with its schema: nothing refused, nothing left out. */
async function roundTrip(response: Response, schema: z.ZodType, status = 200): Promise<unknown> {
  expect(response.status).toBe(status);
  const body: unknown = await response.json();
  const decoded = schema.safeParse(body);
  expect(decoded.error?.issues ?? []).toEqual([]);
  expect(decoded.data).toEqual(body);
  return body;
}

function decodeAll(events: Awaited<ReturnType<typeof readSse>>): SessionStreamEvent[] {
  return events.flatMap((event) => decodeSessionEvent(event.event, event.data, event.id) ?? []);
}

beforeAll(async () => {
  stack = await startTestStack({ env: { CHAT_REQUESTS_PER_MINUTE: "1000" } });
  token = await signIn(stack.supabaseUrl, "alice@example.com");
  const live = await call("/api/chat", {
    method: "POST",
    body: { message: "#sim tokens=80 rate=0 seed=wire" },
  });
  const [first] = decodeAll(await readSse(live));
  if (first?.type !== "session") throw new Error("the live answer did not start with `session`");
  finished = first;
  // No worker runs here: the background session stays queued until it is cancelled.
  const accepted = await call("/api/chat", {
    method: "POST",
    body: { message: "#sim tokens=80 rate=0 seed=wire-bg", mode: "background" },
  });
  background = backgroundAcceptanceSchema.parse(await roundTrip(accepted, backgroundAcceptanceSchema, 202));
});
afterAll(async () => {
  await stack?.close();
});

describe("each JSON body a route sends decodes with its wire schema, unchanged", () => {
  test("sessions: the list, a snapshot, a cancel", async () => {
    const rows = sessionListSchema.parse(await roundTrip(await call("/api/sessions"), sessionListSchema));
    expect(rows.map((row) => row.id)).toEqual(
      expect.arrayContaining([finished.sessionId, background.sessionId]),
    );
    await roundTrip(await call(`/api/sessions/${finished.sessionId}`), sessionSnapshotSchema);
    const cancel = await call(`/api/sessions/${background.sessionId}/cancel`, { method: "POST" });
    expect(cancelResultSchema.parse(await roundTrip(cancel, cancelResultSchema)).status).toBe("cancelled");
  });

  test("the conversation and the agents", async () => {
    const conversation = await call(`/api/conversations/${finished.conversationId}`);
    const body = conversationSchema.parse(await roundTrip(conversation, conversationSchema));
    expect(body.messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    await roundTrip(await call("/api/agents"), agentListSchema);
  });

  test("credits, settings before and after a change, notifications, the Telegram link", async () => {
    expect(
      creditsSchema.parse(await roundTrip(await call("/api/credits"), creditsSchema)).balance,
    ).toBeLessThan(1000);
    await roundTrip(await call("/api/settings"), settingsSchema);
    const patched = await call("/api/settings", { method: "PATCH", body: { notifyEmail: true } });
    expect(settingsSchema.parse(await roundTrip(patched, settingsSchema)).notifyEmail).toBe(true);
    const queued = await call("/api/notifications/test", { method: "POST", body: { channel: "email" } });
    await roundTrip(queued, testNotificationAcceptedSchema, 202);
    const history = notificationListSchema.parse(
      await roundTrip(await call("/api/notifications"), notificationListSchema),
    );
    expect(history.some((row) => row.kind === "test")).toBe(true);
    await roundTrip(await call("/api/telegram/link", { method: "POST" }), telegramLinkSchema);
  });

  test("the stream's events decode with the SSE schemas; each delta names its producer's epoch", async () => {
    const events = decodeAll(
      await readSse(await call(`/api/sessions/${finished.sessionId}/stream?offset=0`)),
    );
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(["session", "delta", "done"]));
    const delta = events.find((event) => event.type === "delta");
    expect(delta?.type === "delta" && delta.epoch).toBeGreaterThanOrEqual(1);
  });
});
