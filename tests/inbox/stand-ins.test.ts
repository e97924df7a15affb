import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Api, GrammyError } from "grammy";
import { Resend } from "resend";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Inbox, startInbox } from "../../dev/inbox/server.ts";

const API_KEY = "re_test_key";
const BOT_TOKEN = "7000000042:test-token";

let inbox: Inbox;
let resend: Resend;
let bot: Api;

beforeAll(async () => {
  inbox = await startInbox({
    port: 0,
    resendApiKey: API_KEY,
    telegramBotToken: BOT_TOKEN,
    telegramBotUsername: "overtime_dev_bot",
  });
  resend = new Resend(API_KEY, { baseUrl: inbox.resendBaseUrl });
  bot = new Api(BOT_TOKEN, { apiRoot: inbox.telegramApiRoot });
});
afterAll(async () => {
  await inbox?.close();
});

async function messages() {
  const response = await fetch(`${inbox.url}/api/messages`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>[];
}

async function injectFault(fault: Record<string, unknown>) {
  const response = await fetch(`${inbox.url}/api/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  expect(response.status).toBe(200);
}

const email = (subject: string) => ({
  from: "Overtime <overtime@example.com>",
  to: ["alice@example.com"],
  subject,
  html: `<p>${subject}</p>`,
  text: subject,
});

describe("Resend stand-in with the official resend SDK", () => {
  test("an accepted email gets an id and lands in the inbox with every field", async () => {
    const { data, error } = await resend.emails.send({
      ...email("Hello from the SDK"),
      headers: { "X-Entity-Ref-ID": "n-1" },
      tags: [{ name: "kind", value: "completed" }],
    });
    expect(error).toBeNull();
    expect(data?.id).toMatch(/^[0-9a-f-]{36}$/);
    const [latest] = await messages();
    expect(latest).toEqual({
      channel: "email",
      to: "alice@example.com",
      subject: "Hello from the SDK",
      text: "Hello from the SDK",
      html: "<p>Hello from the SDK</p>",
      replyMarkup: null,
      createdAt: expect.any(String),
    });
    const page = await (await fetch(inbox.url)).text();
    expect(page).toContain("Hello from the SDK");
    expect(page).toContain("X-Entity-Ref-ID");
  });

  test("a wrong API key is refused and nothing is sent", async () => {
    const before = (await messages()).length;
    const wrong = new Resend("re_wrong", { baseUrl: inbox.resendBaseUrl });
    const { data, error } = await wrong.emails.send(email("nope"));
    expect(data).toBeNull();
    expect(error).toMatchObject({ statusCode: 403, name: "invalid_api_key" });
    expect((await messages()).length).toBe(before);
  });

  test("the request schema is checked: a bad address is a 422 validation_error", async () => {
    const { error } = await resend.emails.send({ ...email("bad"), to: ["not-an-address"] });
    expect(error).toMatchObject({ statusCode: 422, name: "validation_error" });
  });

  test("the same Idempotency-Key and body answers the first id again without a second email", async () => {
    const before = (await messages()).length;
    const first = await resend.emails.send(email("once"), { idempotencyKey: "session-completed/k1" });
    const second = await resend.emails.send(email("once"), { idempotencyKey: "session-completed/k1" });
    expect(first.data?.id).toBeDefined();
    expect(second.data?.id).toBe(first.data?.id);
    expect((await messages()).length).toBe(before + 1);
  });

  test("a reused Idempotency-Key with a different body is a 409 and sends nothing", async () => {
    await resend.emails.send(email("original"), { idempotencyKey: "session-completed/k2" });
    const before = (await messages()).length;
    const { error } = await resend.emails.send(email("changed"), { idempotencyKey: "session-completed/k2" });
    expect(error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
    expect((await messages()).length).toBe(before);
  });

  test("an injected 429 carries Retry-After; an injected 500 is an internal error; then it sends", async () => {
    await injectFault({ service: "resend", status: 429, retryAfter: 7 });
    const limited = await resend.emails.send(email("limited"));
    expect(limited.error).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
    expect(limited.headers?.["retry-after"]).toBe("7");
    await injectFault({ service: "resend", status: 500 });
    const broken = await resend.emails.send(email("broken"));
    expect(broken.error).toMatchObject({ statusCode: 500 });
    const fine = await resend.emails.send(email("fine"));
    expect(fine.error).toBeNull();
  });
});

describe("Telegram Bot API stand-in with grammY", () => {
  const chatId = 555_001;
  let webhook: { url: string; received: { headers: IncomingHttpHeaders; body: unknown }[]; close(): void };

  beforeAll(async () => {
    const received: { headers: IncomingHttpHeaders; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => {
        raw += chunk;
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body: JSON.parse(raw) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    webhook = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/telegram/webhook`,
      received,
      close: () => server.close(),
    };
  });
  afterAll(() => webhook?.close());

  test("getMe answers the local bot", async () => {
    expect(await bot.getMe()).toMatchObject({ is_bot: true, username: "overtime_dev_bot", id: 7000000042 });
  });

  test("a wrong token is 401 Unauthorized", async () => {
    const wrong = new Api("1:wrong", { apiRoot: inbox.telegramApiRoot });
    await expect(wrong.getMe()).rejects.toMatchObject({ error_code: 401, description: "Unauthorized" });
  });

  test("pressing a deep link delivers /start <token> to the webhook with the secret", async () => {
    expect(await bot.setWebhook(webhook.url, { secret_token: "s3cret_token" })).toBe(true);
    const response = await fetch(`${inbox.url}/api/telegram/start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "abc_DEF-123", chatId, username: "alice_tg" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, status: 200 });
    const update = webhook.received.at(-1);
    expect(update?.headers["x-telegram-bot-api-secret-token"]).toBe("s3cret_token");
    expect(update?.body).toMatchObject({
      update_id: expect.any(Number),
      message: {
        text: "/start abc_DEF-123",
        chat: { id: chatId, type: "private", username: "alice_tg" },
        from: { id: chatId, is_bot: false, username: "alice_tg" },
        entities: [{ offset: 0, length: 6, type: "bot_command" }],
      },
    });
  });

  test("sendMessage in HTML with an inline button reaches the inbox as sent", async () => {
    const replyMarkup = {
      inline_keyboard: [[{ text: "Open result", url: "http://127.0.0.1:3000/sessions/x" }]],
    };
    const message = await bot.sendMessage(chatId, "<b>Done</b> 1 &lt; 2", {
      parse_mode: "HTML",
      reply_markup: replyMarkup,
    });
    expect(message).toMatchObject({ chat: { id: chatId }, text: "Done 1 < 2" });
    const [latest] = await messages();
    expect(latest).toEqual({
      channel: "telegram",
      to: String(chatId),
      subject: null,
      text: "Done 1 < 2",
      html: "<b>Done</b> 1 &lt; 2",
      replyMarkup,
      createdAt: expect.any(String),
      messageId: message.message_id,
      chatId,
      edits: 0,
      replyTo: null,
      document: null,
    });
  });

  test("entity length is counted after parsing: 4096 shown characters pass, 4097 do not", async () => {
    const fits = `<b>${"x".repeat(4000)}</b>${"y".repeat(96)}`;
    await expect(bot.sendMessage(chatId, fits, { parse_mode: "HTML" })).resolves.toMatchObject({
      message_id: expect.any(Number),
    });
    await expect(bot.sendMessage(chatId, "z".repeat(4097))).rejects.toMatchObject({
      error_code: 400,
      description: "Bad Request: message is too long",
    });
  });

  test("unsupported or unbalanced tags cannot be parsed; an unknown chat is not found", async () => {
    await expect(bot.sendMessage(chatId, "<div>x</div>", { parse_mode: "HTML" })).rejects.toMatchObject({
      error_code: 400,
      description: expect.stringContaining("can't parse entities"),
    });
    await expect(bot.sendMessage(chatId, "<b>x", { parse_mode: "HTML" })).rejects.toMatchObject({
      error_code: 400,
    });
    await expect(bot.sendMessage(999, "hi")).rejects.toMatchObject({
      error_code: 400,
      description: "Bad Request: chat not found",
    });
  });

  test("an injected 429 carries parameters.retry_after", async () => {
    await injectFault({ service: "telegram", status: 429, retryAfter: 3 });
    const error = await bot.sendMessage(chatId, "hi").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).parameters.retry_after).toBe(3);
    await expect(bot.sendMessage(chatId, "hi again")).resolves.toMatchObject({ text: "hi again" });
  });

  test("deleteWebhook removes it: a deep link press is then refused", async () => {
    expect(await bot.deleteWebhook()).toBe(true);
    const response = await fetch(`${inbox.url}/api/telegram/start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "abc", chatId, username: "alice_tg" }),
    });
    expect(response.status).toBe(409);
  });
});

test("GET /api/messages lists newest first", async () => {
  const list = await messages();
  const times = list.map((message) => Date.parse(message.createdAt as string));
  expect(times).toEqual([...times].sort((a, b) => b - a));
  expect(list.at(-1)?.subject).toBe("Hello from the SDK");
});
