import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api, readSse, signIn, waitFor } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

const SECRET = "overtime-local-webhook-secret";
const ALICE = "a11ce000-0000-4000-8000-000000000001";

let stack: TestStack;
let sql: postgres.Sql;
let aliceToken: string;
let bobToken: string;

beforeAll(async () => {
  stack = await startTestStack({ env: { CHAT_REQUESTS_PER_MINUTE: "1000" } });
  await stack.startWorker();
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  aliceToken = await signIn(stack.supabaseUrl, "alice@example.com");
  bobToken = await signIn(stack.supabaseUrl, "bob@example.com");
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

function call(token: string | null, path: string, init: { method?: string; body?: unknown } = {}) {
  return fetch(`${stack.appUrl}${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function settings(token: string) {
  const response = await call(token, "/api/settings");
  expect(response.status).toBe(200);
  return response.json();
}

async function linkUrl(token: string): Promise<string> {
  const response = await call(token, "/api/telegram/link", { method: "POST" });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { url: string; expiresAt: string };
  expect(body.url).toMatch(/^https:\/\/t\.me\/overtime_dev_bot\?start=[A-Za-z0-9_-]{43}$/);
  const minutes = (Date.parse(body.expiresAt) - Date.now()) / 60_000;
  expect(minutes).toBeGreaterThan(14);
  expect(minutes).toBeLessThanOrEqual(15);
  return body.url;
}

/** Plays a Telegram user pressing START on the deep link, through the stand-in. */
async function press(url: string, chatId: number, username: string) {
  const token = new URL(url).searchParams.get("start");
  const response = await fetch(`${stack.inbox.url}/api/telegram/start`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, chatId, username }),
  });
  expect(response.status).toBe(200);
  return response.json() as Promise<{ ok: boolean; status: number; updateId: number }>;
}

async function telegramTo(chatId: number) {
  const all = (await (await fetch(`${stack.inbox.url}/api/messages`)).json()) as {
    to: string;
    text: string;
  }[];
  return all.filter((message) => message.to === String(chatId));
}

describe("settings", () => {
  test("GET /api/settings has the contract's shape with both channels on by default", async () => {
    expect(await settings(aliceToken)).toEqual({
      email: "alice@example.com",
      notifyEmail: true,
      notifyTelegram: true,
      telegram: { linked: false, username: null },
    });
  });

  test("PATCH changes only the given switches; bad bodies are 400; no token is 401", async () => {
    const patched = await call(bobToken, "/api/settings", {
      method: "PATCH",
      body: { notifyTelegram: false },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ notifyEmail: true, notifyTelegram: false });
    await call(bobToken, "/api/settings", { method: "PATCH", body: { notifyTelegram: true } });
    const bad = await call(bobToken, "/api/settings", { method: "PATCH", body: { notifyEmail: "yes" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe("bad_request:settings");
    const unknown = await call(bobToken, "/api/settings", { method: "PATCH", body: { notifySms: true } });
    expect(unknown.status).toBe(400);
    expect((await call(null, "/api/settings")).status).toBe(401);
  });
});

describe("linking Telegram", () => {
  test("a wrong or missing webhook secret is 401 and links nothing", async () => {
    const url = await linkUrl(aliceToken);
    const update = {
      update_id: 1,
      message: {
        text: `/start ${new URL(url).searchParams.get("start")}`,
        chat: { id: 42, type: "private" },
      },
    };
    for (const headers of [{ "x-telegram-bot-api-secret-token": "wrong" }, {}] as Record<string, string>[]) {
      const response = await fetch(`${stack.appUrl}/api/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(update),
      });
      expect(response.status).toBe(401);
      expect((await response.json()).code).toBe("unauthorized:telegram_secret");
    }
    expect(await sql`select 1 from telegram_links where user_id = ${ALICE}`).toHaveLength(0);
    expect(await sql`select 1 from telegram_link_tokens where used_at is not null`).toHaveLength(0);
  });

  test("only the token's hash is stored", async () => {
    const url = await linkUrl(aliceToken);
    const token = new URL(url).searchParams.get("start") as string;
    expect(await sql`select 1 from telegram_link_tokens where token_hash = ${token}`).toHaveLength(0);
  });

  test("pressing the deep link links the chat; the token cannot be used again; /unlink unlinks", async () => {
    const url = await linkUrl(aliceToken);
    expect(await press(url, 810_001, "alice_tg")).toMatchObject({ ok: true, status: 200 });
    expect((await settings(aliceToken)).telegram).toEqual({ linked: true, username: "alice_tg" });
    expect((await telegramTo(810_001))[0]?.text).toContain("Linked.");

    // Reused by someone else: a friendly reply, and nothing changes.
    await press(url, 810_002, "mallory");
    expect((await telegramTo(810_002))[0]?.text).toContain("already used or has expired");
    const [link] = await sql`select chat_id from telegram_links where user_id = ${ALICE}`;
    expect(Number(link?.chat_id)).toBe(810_001);

    const stop = await fetch(`${stack.inbox.url}/api/telegram/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chatId: 810_001, username: "alice_tg", text: "/unlink" }),
    });
    expect(stop.status).toBe(200);
    expect((await settings(aliceToken)).telegram.linked).toBe(false);
  });

  test("an expired or unknown token links nothing", async () => {
    const url = await linkUrl(bobToken);
    await sql`update telegram_link_tokens set expires_at = now() - interval '1 second' where used_at is null`;
    await press(url, 810_003, "bob_tg");
    expect((await telegramTo(810_003))[0]?.text).toContain("already used or has expired");
    await press("https://t.me/overtime_dev_bot?start=unknownToken", 810_003, "bob_tg");
    expect((await settings(bobToken)).telegram.linked).toBe(false);
  });

  test("an update delivered twice is handled once; an unlinked chat gets the linking instructions", async () => {
    const update = { update_id: 990_001, message: { text: "hello", chat: { id: 810_004, type: "private" } } };
    stack.inbox.telegram.chats.set(810_004, { id: 810_004, username: "someone", blocked: false });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${stack.appUrl}/api/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      });
      expect(response.status).toBe(200);
    }
    const replies = await telegramTo(810_004);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toContain("not linked");
    expect(replies[0]?.text).toContain("/settings");
  });

  test("DELETE /api/telegram/link unlinks", async () => {
    await press(await linkUrl(bobToken), 810_005, "bob_tg");
    expect((await settings(bobToken)).telegram.linked).toBe(true);
    expect((await call(bobToken, "/api/telegram/link", { method: "DELETE" })).status).toBe(204);
    expect((await settings(bobToken)).telegram.linked).toBe(false);
  });
});

describe("notifications", () => {
  test("a test email is sent by the worker and listed with its status; Telegram needs a link", async () => {
    const response = await call(bobToken, "/api/notifications/test", {
      method: "POST",
      body: { channel: "email" },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const row = await waitFor(async () => {
      const list = (await (await call(bobToken, "/api/notifications")).json()) as Record<string, unknown>[];
      const found = list.find((item) => item.id === id);
      return found?.status === "sent" ? found : undefined;
    });
    expect(Object.keys(row).sort()).toEqual(
      ["attempts", "channel", "createdAt", "id", "kind", "lastError", "sentAt", "sessionId", "status"].sort(),
    );
    expect(row).toMatchObject({
      channel: "email",
      kind: "test",
      sessionId: null,
      attempts: 1,
      lastError: null,
    });
    // Alice does not see Bob's notifications.
    const alices = (await (await call(aliceToken, "/api/notifications")).json()) as { id: string }[];
    expect(alices.map((item) => item.id)).not.toContain(id);

    const telegram = await call(bobToken, "/api/notifications/test", {
      method: "POST",
      body: { channel: "telegram" },
    });
    expect(telegram.status).toBe(409);
    const bad = await call(bobToken, "/api/notifications/test", { method: "POST", body: { channel: "sms" } });
    expect(bad.status).toBe(400);
  });

  test("a live chat watched to the end notifies nobody; one whose client left does", async () => {
    const alice = api(stack.appUrl, aliceToken);
    const watched = await readSse(
      await alice.chat({ message: "#sim tokens=60 rate=0\nwatched", mode: "live" }),
    );
    expect(watched.at(-1)?.event).toBe("done");
    const watchedId = JSON.parse(watched[0]!.data).sessionId as string;

    const controller = new AbortController();
    const response = await alice.chat(
      { message: "#sim tokens=150 rate=50\nleft", mode: "live" },
      { signal: controller.signal },
    );
    const first = await readSse(response, { until: (event) => event.event === "delta" });
    controller.abort();
    const leftId = JSON.parse(first[0]!.data).sessionId as string;
    await waitFor(async () => {
      const [row] =
        await sql`select status from notifications where session_id = ${leftId} and channel = 'email'`;
      return row?.status === "sent" ? true : undefined;
    });
    expect(await sql`select 1 from notifications where session_id = ${watchedId}`).toHaveLength(0);
  });
});
