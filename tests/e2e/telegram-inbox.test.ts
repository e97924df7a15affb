import type { Browser } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signUp, waitFor } from "../support/api.ts";
import { launchBrowser, newPage } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import { telegramUser } from "../support/telegram-user.ts";

let stack: TestStack;
let browser: Browser;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startTestStack({ env: { CHAT_REQUESTS_PER_MINUTE: "1000", SIGNUP_CREDITS: "1000" } });
  await stack.startWorker();
  sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.close();
});

test("a person in the inbox page acts as the Telegram user: writes, sees the status edited, presses Stop, replies to an answer", async () => {
  const chatId = 890_001;
  await telegramUser(stack, chatId, "page_user").link(await signUp(stack.supabaseUrl, "tgpage@example.com"));
  const { page, pageErrors, close } = await newPage(browser);
  try {
    await page.goto(stack.inbox.url);
    await page.getByLabel("Act in chat").fill(String(chatId));
    await page.getByLabel("Act in chat").dispatchEvent("change");
    const log = page.getByTestId("chat-log");
    await log.getByText("Linked.").waitFor();

    // A long session: the status message shows up with its buttons and is edited while it runs.
    await page.getByLabel("Message to the bot").fill("#sim tokens=3000 rate=20\nA long piece of work");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const status = log.locator('[data-testid="bot-message"]', { hasText: "Working…" });
    await status.getByRole("button", { name: "Stop" }).waitFor({ timeout: 30_000 });
    await status.getByText(/edited \d+×/).waitFor({ timeout: 30_000 });
    await status.getByRole("button", { name: "Stop" }).click();
    await page.getByRole("status").getByText("Stopping…").waitFor();
    await log
      .locator('[data-testid="bot-message"] .text', { hasText: /^Stopped ·/ })
      .waitFor({ timeout: 30_000 });
    await log
      .getByText("Stopped. The output so far is below.", { exact: false })
      .waitFor({ timeout: 30_000 });

    // A short one, then a reply to its answer continues that conversation.
    await page.getByLabel("Message to the bot").fill("#sim tokens=12 rate=0\nShort question");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    // The answer replies to the question, like the status message, but has no Open button.
    const answers = log
      .locator('[data-testid="bot-message"]')
      .filter({ has: page.locator(".quote", { hasText: "Short question" }) })
      .filter({ hasNot: page.getByRole("link", { name: "Open" }) });
    await answers.first().waitFor({ timeout: 30_000 });
    const answerId = Number(await answers.last().getAttribute("data-message-id"));
    await page.getByLabel("Message to the bot").fill("/new");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await log.getByText("New conversation").waitFor();
    await log.locator(`[data-message-id="${answerId}"]`).getByRole("button", { name: "Reply" }).click();
    await page.getByText("Replying to").waitFor();
    await page.getByLabel("Message to the bot").fill("#sim tokens=5 rate=0\nFollow-up on that");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await log
      .locator('[data-testid="user-message"]', { hasText: "Follow-up on that" })
      .locator(".quote")
      .waitFor();

    const conversations = await waitFor(async () => {
      const rows = await sql<{ conversation_id: string }[]>`
        select s.conversation_id from telegram_sessions t join sessions s on s.id = t.session_id
        where t.chat_id = ${chatId} order by t.created_at`;
      return rows.length === 3 ? rows.map((row) => row.conversation_id) : undefined;
    });
    const [answered] = await sql<{ conversation_id: string }[]>`
      select conversation_id from telegram_messages where chat_id = ${chatId} and message_id = ${answerId}`;
    expect(conversations[2]).toBe(answered?.conversation_id);
    expect(pageErrors).toEqual([]);
  } finally {
    await close();
  }
});
