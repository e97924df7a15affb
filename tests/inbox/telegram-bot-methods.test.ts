import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Bot, GrammyError, InputFile, webhookCallback } from "grammy";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Inbox, startInbox } from "../../dev/inbox/server.ts";

const BOT_TOKEN = "7000000043:test-token";
const SECRET = "grammy_secret";
const CHAT = 660_001;

let inbox: Inbox;
let bot: Bot;
let server: Server;
/** Updates the grammY bot received through its webhook, in order. */
const received: Update[] = [];

async function post(path: string, body: unknown) {
  const response = await fetch(`${inbox.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function telegramMessages() {
  const all = (await (await fetch(`${inbox.url}/api/messages`)).json()) as Record<string, unknown>[];
  return all.filter((message) => message.channel === "telegram");
}

beforeAll(async () => {
  inbox = await startInbox({
    port: 0,
    resendApiKey: "re_key",
    telegramBotToken: BOT_TOKEN,
    telegramBotUsername: "overtime_dev_bot",
  });
  // The product's side as grammY runs it: a Bot behind webhookCallback, talking to the stand-in.
  bot = new Bot(BOT_TOKEN, {
    client: { apiRoot: inbox.telegramApiRoot },
    botInfo: {
      id: 7000000043,
      is_bot: true,
      first_name: "Overtime (local)",
      username: "overtime_dev_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
    } as never,
  });
  bot.use(async (ctx, next) => {
    received.push(ctx.update);
    await next();
  });
  bot.on("callback_query:data", (ctx) => ctx.answerCallbackQuery({ text: `Got ${ctx.callbackQuery.data}` }));
  bot.on("message:text", (ctx) =>
    ctx.reply(`Echo: ${ctx.message.text}`, {
      reply_parameters: { message_id: ctx.message.message_id },
      reply_markup: { inline_keyboard: [[{ text: "Stop", callback_data: "stop:1" }]] },
    }),
  );
  server = createServer(webhookCallback(bot, "http", { secretToken: SECRET }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/telegram/webhook`;
  expect(await bot.api.setWebhook(url, { secret_token: SECRET })).toBe(true);
});
afterAll(async () => {
  server?.close();
  await inbox?.close();
});

describe("the user's side: messages, replies and button presses reach a grammY webhook", () => {
  test("POST /api/telegram/message answers {updateId, messageId}; the bot's reply_to_message is kept", async () => {
    const sent = await post("/api/telegram/message", { chatId: CHAT, username: "ann_tg", text: "hello" });
    expect(sent.status).toBe(200);
    expect(Object.keys(sent.body).sort()).toEqual(["messageId", "updateId"]);
    expect(received.at(-1)).toMatchObject({
      update_id: sent.body.updateId,
      message: { message_id: sent.body.messageId, text: "hello", chat: { id: CHAT, type: "private" } },
    });
    const [echo] = await telegramMessages();
    expect(echo).toEqual({
      channel: "telegram",
      to: String(CHAT),
      subject: null,
      text: "Echo: hello",
      html: null,
      replyMarkup: { inline_keyboard: [[{ text: "Stop", callback_data: "stop:1" }]] },
      createdAt: expect.any(String),
      messageId: expect.any(Number),
      chatId: CHAT,
      edits: 0,
      replyTo: sent.body.messageId,
      document: null,
    });
  });

  test("replying to a bot message carries reply_to_message with that message", async () => {
    const [echo] = await telegramMessages();
    const sent = await post("/api/telegram/message", {
      chatId: CHAT,
      text: "more please",
      replyToMessageId: echo?.messageId,
    });
    expect(sent.status).toBe(200);
    expect(received.at(-1)?.message?.reply_to_message).toMatchObject({
      message_id: echo?.messageId,
      text: "Echo: hello",
      from: { is_bot: true, username: "overtime_dev_bot" },
    });
  });

  test("a given updateId is reused as is (redelivery); later ids continue after it", async () => {
    const first = await post("/api/telegram/message", { chatId: CHAT, text: "again", updateId: 900_000_000 });
    const second = await post("/api/telegram/message", {
      chatId: CHAT,
      text: "again",
      updateId: 900_000_000,
    });
    expect([first.body.updateId, second.body.updateId]).toEqual([900_000_000, 900_000_000]);
    const next = await post("/api/telegram/message", { chatId: CHAT, text: "next" });
    expect(next.body.updateId as number).toBeGreaterThan(900_000_000);
  });

  test("pressing an inline button delivers a callback_query; answerCallbackQuery is reported back once", async () => {
    const [echo] = await telegramMessages();
    const pressed = await post("/api/telegram/callback", {
      chatId: CHAT,
      messageId: echo?.messageId,
      data: "stop:1",
    });
    expect(pressed.status).toBe(200);
    expect(pressed.body).toMatchObject({ answer: { text: "Got stop:1", showAlert: false } });
    expect(received.at(-1)?.callback_query).toMatchObject({
      id: pressed.body.callbackQueryId,
      data: "stop:1",
      message: { message_id: echo?.messageId, chat: { id: CHAT } },
    });
    await expect(bot.api.answerCallbackQuery(pressed.body.callbackQueryId as string)).rejects.toMatchObject({
      error_code: 400,
    });
    const missing = await post("/api/telegram/callback", {
      chatId: CHAT,
      messageId: echo?.messageId,
      data: "no-such-button",
    });
    expect(missing.status).toBe(404);
  });
});

describe("the bot's side: edits, documents and commands with grammY", () => {
  test("editMessageText changes the text and counts the edit; omitting the keyboard removes it", async () => {
    const sent = await bot.api.sendMessage(CHAT, "Working… 0:00", {
      reply_markup: { inline_keyboard: [[{ text: "Stop", callback_data: "stop:2" }]] },
    });
    const edited = await bot.api.editMessageText(CHAT, sent.message_id, "<b>Working…</b> 0:05", {
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: [[{ text: "Stop", callback_data: "stop:2" }]] },
    });
    expect(edited).toMatchObject({ text: "Working… 0:05", message_id: sent.message_id });
    await bot.api.editMessageText(CHAT, sent.message_id, "Done");
    const [latest] = await telegramMessages();
    expect(latest).toMatchObject({ messageId: sent.message_id, text: "Done", edits: 2, replyMarkup: null });
  });

  test("an edit to the same content is 400 'message is not modified'; an unknown message is not found", async () => {
    const sent = await bot.api.sendMessage(CHAT, "Same");
    const error = await bot.api.editMessageText(CHAT, sent.message_id, "Same").catch((caught) => caught);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).description).toContain("message is not modified");
    await expect(bot.api.editMessageText(CHAT, 1, "x")).rejects.toMatchObject({
      description: "Bad Request: message to edit not found",
    });
  });

  test("editMessageReplyMarkup swaps the buttons only", async () => {
    const sent = await bot.api.sendMessage(CHAT, "Status", {
      reply_markup: { inline_keyboard: [[{ text: "Stop", callback_data: "stop:3" }]] },
    });
    await bot.api.editMessageReplyMarkup(CHAT, sent.message_id, {
      reply_markup: { inline_keyboard: [[{ text: "Open", url: "http://127.0.0.1:3000/sessions/3" }]] },
    });
    const [latest] = await telegramMessages();
    expect(latest).toMatchObject({
      text: "Status",
      edits: 1,
      replyMarkup: { inline_keyboard: [[{ text: "Open", url: "http://127.0.0.1:3000/sessions/3" }]] },
    });
  });

  test("sendDocument uploads a file as multipart with an HTML caption; the inbox keeps its bytes", async () => {
    const content = `# Answer\n\n${"Long text. ".repeat(2000)}`;
    const sent = await bot.api.sendDocument(CHAT, new InputFile(Buffer.from(content), "answer.md"), {
      caption: "<b>Answer</b> first paragraph",
      parse_mode: "HTML",
    });
    expect(sent).toMatchObject({ document: { file_name: "answer.md" }, caption: "Answer first paragraph" });
    const [latest] = await telegramMessages();
    expect(latest).toMatchObject({
      messageId: sent.message_id,
      text: "Answer first paragraph",
      document: { fileName: "answer.md", bytes: Buffer.byteLength(content) },
    });
    const file = await fetch(`${inbox.url}/api/telegram/documents/${CHAT}/${sent.message_id}`);
    expect(await file.text()).toBe(content);
    await expect(
      bot.api.sendDocument(CHAT, new InputFile(Buffer.from("x"), "a.md"), { caption: "c".repeat(1025) }),
    ).rejects.toMatchObject({ error_code: 400 });
  });

  test("setMyCommands stores the commands getMyCommands lists; a bad command name is refused", async () => {
    const commands = [
      { command: "new", description: "Start a new conversation" },
      { command: "stop", description: "Stop the running session" },
    ];
    expect(await bot.api.setMyCommands(commands)).toBe(true);
    expect(await bot.api.getMyCommands()).toEqual(commands);
    await expect(bot.api.setMyCommands([{ command: "Bad-Name", description: "x" }])).rejects.toMatchObject({
      error_code: 400,
    });
  });

  test("a 429 injected for editMessageText only leaves sendMessage alone and carries retry_after", async () => {
    const injected = await post("/api/faults", {
      service: "telegram",
      method: "editMessageText",
      status: 429,
      retryAfter: 4,
    });
    expect(injected.status).toBe(200);
    const sent = await bot.api.sendMessage(CHAT, "v1");
    const error = await bot.api.editMessageText(CHAT, sent.message_id, "v2").catch((caught) => caught);
    expect((error as GrammyError).parameters.retry_after).toBe(4);
    await expect(bot.api.editMessageText(CHAT, sent.message_id, "v2")).resolves.toMatchObject({ text: "v2" });
  });
});

describe("update ids after a restart", () => {
  test("with a state file they continue where they left off; without one they start at a random point", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "inbox-state-"));
    const options = {
      port: 0,
      resendApiKey: "re_key",
      telegramBotToken: BOT_TOKEN,
      telegramBotUsername: "overtime_dev_bot",
    };
    const ids: number[] = [];
    // A webhook that only acknowledges: these stand-ins are not the one the grammY bot talks to.
    const sink = createServer((_req, res) => res.writeHead(200).end());
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
    try {
      for (let run = 0; run < 2; run++) {
        const restarted = await startInbox({
          ...options,
          telegramStateFile: path.join(dir, "telegram.json"),
        });
        try {
          restarted.telegram.call("setwebhook", { url: sinkUrl });
          ids.push((await restarted.telegram.deliver({ chatId: CHAT, text: "hi" })).updateId);
        } finally {
          await restarted.close();
        }
      }
      expect(ids[1]).toBe((ids[0] as number) + 1);
      const fresh = await Promise.all([startInbox(options), startInbox(options)]);
      try {
        for (const one of fresh) one.telegram.call("setwebhook", { url: sinkUrl });
        const [a, b] = await Promise.all(
          fresh.map((one) => one.telegram.deliver({ chatId: CHAT, text: "x" })),
        );
        expect(a?.updateId).not.toBe(100_001);
        expect(a?.updateId).not.toBe(b?.updateId);
      } finally {
        await Promise.all(fresh.map((one) => one.close()));
      }
    } finally {
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
