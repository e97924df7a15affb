import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signUp } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import {
  type BotMessage,
  sessionOfStatus,
  type TelegramUser,
  telegramUser,
  words,
} from "../support/telegram-user.ts";

// Telegram as a place to work (issue 20), end to end: the stand-in plays the user, the built app is
// the bot, a local worker sends the outbox. A 4 s live budget sends longer sessions through the
// handoff (detachable) or the interruption and continuation (connection-bound).
let stack: TestStack;
let sql: postgres.Sql;

const userIdOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as { sub: string }).sub;

beforeAll(async () => {
  stack = await startTestStack({
    env: { CHAT_REQUESTS_PER_MINUTE: "1000", LIVE_BUDGET_SECONDS: "4", SIGNUP_CREDITS: "1000" },
  });
  await stack.startWorker();
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

let nextChat = 870_000;
/** A fresh account with 1,000 credits, its chat linked (and an agent picked with /agent, when given). */
async function linkedUser(agent?: string): Promise<{ user: TelegramUser; token: string }> {
  nextChat += 1;
  const token = await signUp(stack.supabaseUrl, `tg${nextChat}@example.com`);
  const user = telegramUser(stack, nextChat);
  await user.link(token);
  await user.waitFor((messages) => messages.find((message) => message.text.startsWith("Linked.")));
  if (agent) {
    await user.send("/agent");
    const picker = await user.waitFor((messages) => messages.find((m) => m.text.startsWith("Which agent")));
    const pressed = await user.press(picker.messageId, `agent:${agent}`);
    expect(pressed.answer?.text).toBe(`New sessions use ${agent}.`);
  }
  return { user, token };
}

const isStatus = (message: BotMessage) =>
  message.replyMarkup?.inline_keyboard.flat().some((b) => b.text === "Open");

/** The bot's status message of a request (the one with the Open button that replies to it). */
const statusOf = (user: TelegramUser, request: { messageId: number }) =>
  user.waitFor((messages) => messages.find((m) => isStatus(m) && m.replyTo === request.messageId));

async function snapshot(token: string, sessionId: string) {
  const response = await fetch(`${stack.appUrl}/api/sessions/${sessionId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; output: string; conversationId: string };
}

/** The answer: the bot's messages after the status message that reply to the request or follow it. */
async function answerOf(user: TelegramUser, request: number, status: BotMessage) {
  return user.waitFor((messages) => {
    const after = messages.filter((m) => m.messageId > status.messageId && !isStatus(m));
    const first = after.find((m) => m.replyTo === request);
    return first ? after.filter((m) => m.messageId >= first.messageId) : undefined;
  });
}

describe.each(["sim-openai-bg", "sim-openclaw"])("a session started from Telegram on %s", (agent) => {
  test("one status message, edited at most every 5 s while it runs, then the answer equals the final text", async () => {
    const { user, token } = await linkedUser(agent);
    const request = await user.send("#sim tokens=260 rate=30 stages=2\nExplain durable offsets");
    const status = await statusOf(user, request);
    const sessionId = sessionOfStatus(status);
    expect(status.text).toMatch(new RegExp(`^(Working…|Done) · ${agent} · \\d+:\\d\\d · [\\d,]+ tokens`));
    const done = await user.waitFor((messages) =>
      messages.find((m) => m.messageId === status.messageId && m.text.startsWith("Done")),
    );
    expect(done.edits).toBeGreaterThanOrEqual(1);
    expect(done.replyMarkup?.inline_keyboard).toEqual([
      [{ text: "Open", url: `${stack.appUrl}/sessions/${sessionId}` }],
    ]);
    const edits = stack.inbox.telegram.calls.filter(
      (c) => c.method === "editmessagetext" && c.chatId === user.chatId,
    );
    for (let i = 1; i < edits.length; i++)
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(4500);
    const answer = await answerOf(user, request.messageId, status);
    const session = await snapshot(token, sessionId);
    expect(session.status).toBe("completed");
    expect(words(answer.map((m) => m.text).join("\n\n"))).toBe(words(session.output));
    // The answer is the notification: nothing else reached the chat (no "Your session finished").
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = (await user.messages()).filter((m) => m.messageId > status.messageId);
    expect(after.map((m) => m.messageId)).toEqual(answer.map((m) => m.messageId));
    expect(
      await sql`select kind from notifications where session_id = ${sessionId} and channel = 'telegram' order by kind`,
    ).toEqual([{ kind: "telegram_answer" }, { kind: "telegram_status" }]);
  });

  test("the Stop button cancels the running session: answered, status says Stopped, partial output kept", async () => {
    const { user, token } = await linkedUser(agent);
    const request = await user.send("#sim tokens=3000 rate=20\nA very long report");
    const status = await statusOf(user, request);
    const sessionId = sessionOfStatus(status);
    const pressed = await user.press(status.messageId, `stop:${sessionId}`);
    expect(pressed.answer).toEqual({ text: "Stopping…", showAlert: false });
    await user.waitFor((messages) =>
      messages.find((m) => m.messageId === status.messageId && m.text.startsWith("Stopped")),
    );
    const answer = await answerOf(user, request.messageId, status);
    expect(answer[0]?.text.startsWith("Stopped.")).toBe(true);
    const session = await snapshot(token, sessionId);
    expect(session.status).toBe("cancelled");
    expect(words(answer.map((m) => m.text).join("\n\n"))).toBe(
      words(`Stopped.${session.output ? " The output so far is below." : ""} ${session.output}`),
    );
  });
});

describe("conversations, commands and limits", () => {
  test("replying to an older answer continues its conversation; a plain message continues the current one; /new starts anew", async () => {
    const { user, token } = await linkedUser("sim-openai-bg");
    const ask = async (text: string, replyTo?: number) => {
      const request = await user.send(`#sim tokens=8 rate=0\n${text}`, { replyTo });
      const status = await statusOf(user, request);
      const answer = await answerOf(user, request.messageId, status);
      return { session: await snapshot(token, sessionOfStatus(status)), answer };
    };
    const first = await ask("First topic");
    const second = await ask("Still the first topic");
    expect(second.session.conversationId).toBe(first.session.conversationId);
    await user.send("/new");
    await user.waitFor((m) => m.find((x) => x.text.startsWith("New conversation")));
    const third = await ask("Another topic");
    expect(third.session.conversationId).not.toBe(first.session.conversationId);
    const reply = await ask("Back to the first", first.answer[0]?.messageId);
    expect(reply.session.conversationId).toBe(first.session.conversationId);
    const plain = await ask("And more on it");
    expect(plain.session.conversationId).toBe(first.session.conversationId);
    // A deadline, not a timing: five background sessions one after another on a busy CI machine.
  }, 150_000);

  test("/help lists the commands; a failed session says so in one sentence and keeps its partial output", async () => {
    const { user, token } = await linkedUser("sim-openai-bg");
    await user.send("/help");
    const help = await user.waitFor((m) => m.find((x) => x.text.includes("/agent")));
    for (const command of ["/new", "/agent", "/stop", "/help", "/unlink"])
      expect(help.text).toContain(command);
    const request = await user.send("#sim tokens=120 rate=0 fault=failed@60\nThis will break");
    const status = await statusOf(user, request);
    const answer = await answerOf(user, request.messageId, status);
    const session = await snapshot(token, sessionOfStatus(status));
    expect(session.status).toBe("failed");
    expect(answer[0]?.text).toMatch(/^The session failed[^\n]*\. The output so far is below\./);
    expect(words(answer.map((m) => m.text).join("\n\n")).endsWith(words(session.output))).toBe(true);
    await user.waitFor((m) => m.find((x) => x.messageId === status.messageId && x.text.startsWith("Failed")));
  });

  test("a duplicate update_id starts nothing; /stop stops the running session", async () => {
    const { user } = await linkedUser("sim-openai-bg");
    const updateId = 2_000_000_000 + nextChat;
    await user.send("#sim tokens=3000 rate=20\nOnce only", { updateId });
    await user.send("#sim tokens=3000 rate=20\nOnce only", { updateId });
    const status = await user.waitFor((m) => m.find(isStatus));
    const rows = await sql`select session_id from telegram_sessions where chat_id = ${user.chatId}`;
    expect(rows).toHaveLength(1);
    await user.send("/stop");
    await user.waitFor((m) =>
      m.find((x) => x.messageId === status.messageId && x.text.startsWith("Stopped")),
    );
    expect((await user.messages()).filter(isStatus)).toHaveLength(1);
  });

  test("a 429 on an edit is retried no sooner than its retry_after", async () => {
    const { user } = await linkedUser("sim-openai-bg");
    const injected = await fetch(`${stack.inbox.url}/api/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        service: "telegram",
        method: "editMessageText",
        chatId: user.chatId,
        status: 429,
        retryAfter: 7,
      }),
    });
    expect(injected.status).toBe(200);
    await user.send("#sim tokens=400 rate=25\nLimited");
    const status = await user.waitFor((m) => m.find((x) => isStatus(x) && x.edits >= 1));
    const edits = stack.inbox.telegram.calls.filter(
      (c) => c.method === "editmessagetext" && c.chatId === user.chatId,
    );
    const limited = edits.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(edits[limited + 1]!.at - edits[limited]!.at).toBeGreaterThanOrEqual(7000);
    expect(status.edits).toBeGreaterThanOrEqual(1);
  });

  test("an answer longer than three messages arrives as a .md document with its first paragraph", async () => {
    const { user, token } = await linkedUser("sim-openai-bg");
    const request = await user.send("#sim tokens=4000 rate=0\nThe long one");
    const status = await statusOf(user, request);
    const [document] = await answerOf(user, request.messageId, status);
    expect(document?.document?.fileName).toBe("answer.md");
    const file = await fetch(
      `${stack.inbox.url}/api/telegram/documents/${user.chatId}/${document?.messageId}`,
    );
    const session = await snapshot(token, sessionOfStatus(status));
    expect(await file.text()).toBe(session.output);
    expect(words(session.output).startsWith(words(document?.text.replace(/…$/, "") ?? "x"))).toBe(true);
  });

  test("an unlinked chat gets the linking instructions and nothing else; no credits is one sentence with the settings link", async () => {
    const stranger = telegramUser(stack, 879_999);
    await stranger.send("#sim tokens=5\nHello?");
    const [instructions] = await stranger.waitFor((m) => (m.length > 0 ? m : undefined));
    expect(instructions?.text).toContain("not linked");
    expect(instructions?.text).toContain(`${stack.appUrl}/settings`);
    expect(await sql`select 1 from telegram_sessions where chat_id = 879999`).toHaveLength(0);

    const { user, token } = await linkedUser();
    await sql`insert into credit_ledger (user_id, amount, kind, idempotency_key)
              values (${userIdOf(token)}, -2000, 'debit', ${`drain:${user.chatId}`})`;
    await user.send("#sim tokens=5\nAnything");
    const refusal = await user.waitFor((m) => m.find((x) => x.text.startsWith("You are out of credits")));
    expect(refusal.text).toContain(`${stack.appUrl}/settings`);
    expect(await sql`select 1 from telegram_sessions where chat_id = ${user.chatId}`).toHaveLength(0);
  });

  test("a linked user's Telegram session is in the web app's session list", async () => {
    const { user, token } = await linkedUser("sim-openai-bg");
    const request = await user.send("#sim tokens=5 rate=0\nVisible on the web");
    const status = await statusOf(user, request);
    const list = await fetch(`${stack.appUrl}/api/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const ids = ((await list.json()) as { id: string }[]).map((session) => session.id);
    expect(ids).toContain(sessionOfStatus(status));
  });
});
