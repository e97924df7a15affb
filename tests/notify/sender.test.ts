import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { type ClaimedNotification, claimDueNotifications } from "../../lib/db/notification-outbox.ts";
import { type Env, parseEnv } from "../../lib/env.ts";
import { deliverDueNotifications } from "../../lib/notify/sender.ts";
import { waitFor } from "../support/api.ts";
import { deliverUntilInboxHas } from "../support/inbox.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import {
  createUser,
  type EndedSessionInput,
  endSession,
  inboxFor,
  injectFault,
  linkTelegram,
} from "./fixture.ts";

let stack: TestStack;
let sql: Sql;
let env: Env;
let nextChat = 700_000;

beforeAll(async () => {
  stack = await startTestStack({ app: false, env: { NOTIFY_SENDING_TIMEOUT_SECONDS: "2" } });
  sql = createSql(stack.databaseUrl, 4);
  env = parseEnv(stack.env);
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

const OUTPUT = `Offsets are byte positions. ${"The log is append-only and every chunk knows its range. ".repeat(20)}`;

async function userWithBothChannels(label: string) {
  const user = await createUser(sql, label);
  const chatId = nextChat++;
  await linkTelegram(sql, stack.inbox, user.id, chatId);
  return { ...user, chatId };
}

/** A failed session of a new user with both channels, sent: the email and the Telegram message it gave. */
async function failedAndSent(label: string, ended: Omit<EndedSessionInput, "userId" | "status">) {
  const user = await userWithBothChannels(label);
  await endSession(sql, { userId: user.id, status: "failed", ...ended });
  await sendAllDue();
  const [email] = await inboxFor(stack.inbox, user.email);
  const [telegram] = await inboxFor(stack.inbox, user.chatId);
  return { email, telegram };
}

/** Runs senders until nothing is due now (retries scheduled later stay pending). */
async function sendAllDue(): Promise<void> {
  while (true) {
    const round = await deliverDueNotifications({ sql, env });
    if (round.sent + round.retried + round.failed === 0) return;
  }
}

async function rows(sessionId: string) {
  return sql<
    { channel: string; kind: string; status: string; attempts: number; last_error: string | null }[]
  >`
    select channel, kind, status, attempts, last_error, provider_id from notifications
    where session_id = ${sessionId} order by channel`;
}

/**
 * After a 429 asking for 2 s: the first send leaves the row pending until then (`meanwhile` runs in
 * that wait), a sender sends it once when due, and not before.
 */
async function expectRetryAfterHonoured(sessionId: string, to: string | number, meanwhile = async () => {}) {
  const before = Date.now();
  await deliverDueNotifications({ sql, env });
  const [row] = await sql<{ status: string; next_attempt_at: Date }[]>`
    select status, next_attempt_at from notifications where session_id = ${sessionId}`;
  expect(row?.status).toBe("pending");
  expect(row!.next_attempt_at.getTime() - before).toBeGreaterThanOrEqual(1500);
  await meanwhile();
  await deliverUntilInboxHas({ sql, env, inbox: stack.inbox }, to);
  const [sent] = await sql<
    { sent_at: Date }[]
  >`select sent_at from notifications where session_id = ${sessionId}`;
  expect(sent!.sent_at.getTime() - before).toBeGreaterThanOrEqual(2000);
}

describe("which sessions notify, with the right content", () => {
  test("a completed background session sends exactly one email and one Telegram message", async () => {
    const user = await userWithBothChannels("bg-done");
    const sessionId = await endSession(sql, { userId: user.id, output: OUTPUT });
    await sendAllDue();
    await sendAllDue();

    const [email, ...moreEmail] = await inboxFor(stack.inbox, user.email);
    expect(moreEmail).toEqual([]);
    expect(email?.subject).toBe("Finished: Summarise the offsets");
    for (const fact of [
      "Summarise the offsets",
      "Agent: sim-openclaw",
      "Duration: 2 min 5 s",
      "Tokens: 2,279 (45 in, 2,234 out)",
      "Cost: $0.04 (3.83 credits)",
      "Offsets are byte positions.",
      `${stack.appUrl}/sessions/${sessionId}`,
      `${stack.appUrl}/settings`,
    ]) {
      expect(email?.text).toContain(fact);
    }
    // The excerpt is the first ~600 characters, not the whole output.
    expect(email?.text).not.toContain(OUTPUT.trim());
    expect(email?.html).toContain(`href="${stack.appUrl}/sessions/${sessionId}"`);

    const [telegram, ...moreTelegram] = await inboxFor(stack.inbox, user.chatId);
    expect(moreTelegram).toEqual([]);
    expect(telegram?.text).toContain("Your session finished");
    expect(telegram?.text).toContain("Cost: $0.04 (3.83 credits)");
    expect(telegram?.replyMarkup).toEqual({
      inline_keyboard: [[{ text: "Open result", url: `${stack.appUrl}/sessions/${sessionId}` }]],
    });
    expect(await rows(sessionId)).toMatchObject([
      { channel: "email", kind: "completed", status: "sent", attempts: 1 },
      { channel: "telegram", kind: "completed", status: "sent", attempts: 1 },
    ]);
  });

  test("a failed background session says what went wrong and what was kept", async () => {
    const { email, telegram } = await failedAndSent("bg-failed", {
      runner: "trigger",
      output: "Half an answer",
      error: { code: "stream_truncated", message: "The agent stream ended without a result." },
      estimated: true,
    });
    expect(email?.subject).toBe("Failed: Summarise the offsets");
    expect(email?.text).toContain("The agent's answer stopped before it was finished.");
    expect(email?.text).toContain("Tokens: about 2,279 (45 in, 2,234 out, estimated)");
    expect(email?.text).toContain(
      "The 14 characters of output written before it stopped are kept in the session.",
    );
    expect(telegram?.text).toContain("The agent's answer stopped before it was finished.");
  });

  test("a session that ran out of credits notifies even when it was watched live, with the balance", async () => {
    const { email, telegram } = await failedAndSent("no-credits", {
      runner: "live",
      output: "Partial work",
      error: { code: "payment_required:credits", message: "Your credit balance ran out." },
    });
    expect(email?.subject).toBe("Out of credits: Summarise the offsets");
    expect(email?.text).toContain("Balance: 996.17 credits");
    expect(email?.text).toContain("are kept in the session");
    expect(telegram?.text).toContain("you are out of credits");
  });

  test("a live chat watched to the end notifies nobody; one whose client left does", async () => {
    const user = await userWithBothChannels("live");
    const watched = await endSession(sql, { userId: user.id, runner: "live", output: "hi" });
    expect(await rows(watched)).toEqual([]);
    const left = await endSession(sql, { userId: user.id, runner: "live", clientLeft: true, output: "hi" });
    await sendAllDue();
    expect((await rows(left)).map((row) => row.status)).toEqual(["sent", "sent"]);
    expect(await inboxFor(stack.inbox, user.email)).toHaveLength(1);
  });

  test("a cancelled background session notifies nobody", async () => {
    const user = await userWithBothChannels("cancelled");
    const sessionId = await endSession(sql, { userId: user.id, status: "cancelled" });
    expect(await rows(sessionId)).toEqual([]);
  });

  test("a channel turned off sends nothing on it; Telegram needs a link", async () => {
    const user = await userWithBothChannels("email-off");
    await sql`update profiles set notify_email = false where user_id = ${user.id}`;
    const sessionId = await endSession(sql, { userId: user.id });
    await sendAllDue();
    expect((await rows(sessionId)).map((row) => row.channel)).toEqual(["telegram"]);
    expect(await inboxFor(stack.inbox, user.email)).toEqual([]);

    const unlinked = await createUser(sql, "no-telegram");
    const other = await endSession(sql, { userId: unlinked.id });
    expect((await rows(other)).map((row) => row.channel)).toEqual(["email"]);
    await sendAllDue();
  });
});

describe("delivery faults", () => {
  // Each fault must meet this test's row: nothing else may be due when it is injected.
  beforeEach(sendAllDue);

  test("Resend answering 500 then accepting sends one email", async () => {
    const user = await createUser(sql, "r500");
    const sessionId = await endSession(sql, { userId: user.id });
    await injectFault(stack.inbox, { service: "resend", status: 500 });
    await deliverDueNotifications({ sql, env });
    const [failed] = await rows(sessionId);
    expect(failed).toMatchObject({
      status: "pending",
      attempts: 1,
      last_error: expect.stringContaining("500"),
    });
    await sql`update notifications set next_attempt_at = now() where session_id = ${sessionId}`;
    await sendAllDue();
    expect(await rows(sessionId)).toMatchObject([{ status: "sent", attempts: 2 }]);
    expect(await inboxFor(stack.inbox, user.email)).toHaveLength(1);
  });

  test("Resend 429 with Retry-After: the retry waits that long, then sends", async () => {
    const user = await createUser(sql, "r429");
    const sessionId = await endSession(sql, { userId: user.id });
    await injectFault(stack.inbox, { service: "resend", status: 429, retryAfter: 2 });
    await expectRetryAfterHonoured(sessionId, user.email, async () => {
      // Not due yet: a sender running now leaves it alone.
      await deliverDueNotifications({ sql, env });
      expect(await inboxFor(stack.inbox, user.email)).toEqual([]);
    });
  });

  test("Telegram 429 with retry_after is honoured, then the message is sent once", async () => {
    const user = await userWithBothChannels("t429");
    await sql`update profiles set notify_email = false where user_id = ${user.id}`;
    const sessionId = await endSession(sql, { userId: user.id });
    await injectFault(stack.inbox, { service: "telegram", status: 429, retryAfter: 2 });
    await expectRetryAfterHonoured(sessionId, user.chatId);
  });

  test("a permanent failure ends failed with the reason; a blocked bot unlinks the chat", async () => {
    const user = await userWithBothChannels("blocked");
    await sql`update profiles set notify_email = false where user_id = ${user.id}`;
    stack.inbox.telegram.chats.get(user.chatId)!.blocked = true;
    const sessionId = await endSession(sql, { userId: user.id });
    await sendAllDue();
    expect(await rows(sessionId)).toMatchObject([
      { status: "failed", last_error: "telegram 403: Forbidden: bot was blocked by the user" },
    ]);
    expect(await sql`select 1 from telegram_links where user_id = ${user.id}`).toHaveLength(0);
  });

  test("a claim in progress neither blocks another sender nor shares its rows (SKIP LOCKED)", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => createUser(sql, `skip${i}`)));
    for (const user of users) await endSession(sql, { userId: user.id });
    const first = createSql(stack.databaseUrl, 1);
    const second = createSql(stack.databaseUrl, 1);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let claimedFirst: ClaimedNotification[] = [];
    try {
      // The first sender's claim stays uncommitted (its row locks held) while the second one claims.
      const open = first.begin(async (tx) => {
        claimedFirst = await claimDueNotifications(tx as unknown as Sql, { limit: 3, claimSeconds: 60 });
        await held;
      });
      await waitFor(async () => (claimedFirst.length > 0 ? true : undefined));
      const outcome = await Promise.race([
        claimDueNotifications(second, { limit: 10, claimSeconds: 60 }),
        new Promise<"blocked">((resolve) => setTimeout(() => resolve("blocked"), 10_000)),
      ]);
      release();
      await open;
      expect(outcome).not.toBe("blocked");
      const firstIds = claimedFirst.map((row) => row.id);
      const secondIds = (outcome as ClaimedNotification[]).map((row) => row.id);
      expect(firstIds).toHaveLength(3);
      expect(secondIds).toHaveLength(3);
      expect(new Set([...firstIds, ...secondIds]).size).toBe(6);
      // Hand them back so the sweep sends them.
      await sql`update notifications set status = 'pending', next_attempt_at = now()
                where id in ${sql([...firstIds, ...secondIds])}`;
      await sendAllDue();
    } finally {
      release();
      await first.end();
      await second.end();
    }
  });

  test("two senders racing over the same rows send one message each", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => userWithBothChannels(`race${i}`)));
    for (const user of users) {
      await endSession(sql, { userId: user.id, output: "race" });
    }
    const other = createSql(stack.databaseUrl, 4);
    try {
      await Promise.all([
        deliverDueNotifications({ sql, env }, { limit: 5 }),
        deliverDueNotifications({ sql: other, env }, { limit: 5 }),
        deliverDueNotifications({ sql, env }, { limit: 5 }),
        deliverDueNotifications({ sql: other, env }, { limit: 5 }),
      ]);
      await sendAllDue();
    } finally {
      await other.end();
    }
    for (const user of users) {
      expect(await inboxFor(stack.inbox, user.email)).toHaveLength(1);
      expect(await inboxFor(stack.inbox, user.chatId)).toHaveLength(1);
    }
  });
});

test("a sender killed after Resend accepted, before `sent` was recorded: still one email", async () => {
  const user = await createUser(sql, "killed");
  await injectFault(stack.inbox, { service: "resend", acceptThenHang: true });
  const worker = await stack.startWorker();
  const sessionId = await endSession(sql, { userId: user.id });
  await waitFor(async () => ((await inboxFor(stack.inbox, user.email)).length === 1 ? true : undefined));
  process.kill(-worker.pid!, "SIGKILL");
  expect(await rows(sessionId)).toMatchObject([{ status: "sending", attempts: 1 }]);

  // Its claim expires (NOTIFY_SENDING_TIMEOUT_SECONDS=2); another sender sends the same key and body.
  await stack.startWorker();
  await waitFor(async () => ((await rows(sessionId))[0]?.status === "sent" ? true : undefined), 20_000);
  expect(await rows(sessionId)).toMatchObject([{ status: "sent", attempts: 2 }]);
  expect(await inboxFor(stack.inbox, user.email)).toHaveLength(1);
});
