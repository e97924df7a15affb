import { createSql } from "../lib/db/client.ts";
import { parseEnv } from "../lib/env.ts";
import { registerTelegramWebhook } from "../lib/notify/telegram-linking.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { fmt } from "./support.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const CHAT_ID = 910_001;
const RUNS = 4;
/** The simulator at a fixed pace: 200 tokens at 40 tokens/s, about 5 s of output. */
const MESSAGE = "#sim tokens=200 rate=40 stages=1\nBenchmark the Telegram loop";

/**
 * Telegram as a client (issue 20), against the stand-in with the built app and a local worker:
 * how long the webhook takes to answer an update that starts a session (baseline: a redelivered
 * update, dropped as already handled), and message → status message → first status edit → answer.
 */
export async function telegramLoop(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  const { inbox } = environment;
  const app = await environment.startApp();
  await environment.startWorker();
  await registerTelegramWebhook(parseEnv({ ...environment.baseEnv, APP_URL: app.url }));
  inbox.telegram.chats.set(CHAT_ID, { id: CHAT_ID, username: "bench_tg", blocked: false });
  await sql`insert into telegram_links (user_id, chat_id, username) values (${ALICE}, ${CHAT_ID}, 'bench_tg')
            on conflict (user_id) do update set chat_id = excluded.chat_id`;
  await sql`insert into telegram_chats (chat_id, user_id, agent) values (${CHAT_ID}, ${ALICE}, 'sim-openai-bg')
            on conflict (chat_id) do update set user_id = excluded.user_id, agent = excluded.agent`;
  try {
    const webhook: number[] = [];
    const duplicate: number[] = [];
    const toStatus: number[] = [];
    const toFirstEdit: number[] = [];
    const toAnswer: number[] = [];
    // One update first, so the route is loaded before anything is timed.
    await inbox.telegram.deliver({ chatId: CHAT_ID, text: "/help" });
    for (let run = 0; run < RUNS; run++) {
      const sentAt = Date.now();
      const begin = performance.now();
      const delivered = await inbox.telegram.deliver({ chatId: CHAT_ID, text: `${MESSAGE} ${run}` });
      webhook.push(performance.now() - begin);
      const again = performance.now();
      await inbox.telegram.deliver({
        chatId: CHAT_ID,
        text: `${MESSAGE} ${run}`,
        updateId: delivered.updateId,
      });
      duplicate.push(performance.now() - again);
      const times = await followRun(environment, delivered.messageId, sentAt);
      toStatus.push(times.status);
      toFirstEdit.push(times.firstEdit);
      toAnswer.push(times.answer);
      // The next run's edits must not wait for this run's edit slot.
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    console.log(
      `\nTelegram loop (built app + local worker, ${RUNS} runs; sim-openai-bg at 40 tokens/s, 200 tokens)`,
    );
    console.log(
      `  webhook answer, update that starts a session: p50 ${fmt(percentile(webhook, 50))} ms, max ${fmt(Math.max(...webhook))} ms (budget 1000 ms); baseline, a redelivered update dropped: p50 ${fmt(percentile(duplicate, 50))} ms`,
    );
    console.log(
      `  message → status message p50 ${fmt(percentile(toStatus, 50))} ms → first status edit p50 ${fmt(percentile(toFirstEdit, 50))} ms → answer p50 ${fmt(percentile(toAnswer, 50))} ms (max ${fmt(Math.max(...toAnswer))} ms; the agent alone takes ≈ 5,000 ms)`,
    );
  } finally {
    await sql.end();
  }
}

/** Waits for the status message, its first edit and the answer of one request; ms since `sentAt`. */
async function followRun(environment: BenchEnvironment, requestId: number, sentAt: number) {
  const { inbox } = environment;
  const deadline = Date.now() + 60_000;
  let status: number | undefined;
  let statusId: number | undefined;
  let firstEdit: number | undefined;
  while (Date.now() < deadline) {
    const replies = inbox.store.messages.filter(
      (m) => m.telegram?.chatId === CHAT_ID && m.telegram.replyTo === requestId,
    );
    const statusMessage = replies.find((m) => JSON.stringify(m.replyMarkup).includes('"Open"'));
    if (statusMessage && status === undefined) {
      status = Date.parse(statusMessage.createdAt) - sentAt;
      statusId = statusMessage.telegram?.messageId;
    }
    const edit = inbox.telegram.calls.find(
      (c) => c.method === "editmessagetext" && c.messageId === statusId && c.status === 200,
    );
    if (statusId !== undefined && edit && firstEdit === undefined) firstEdit = edit.at - sentAt;
    const answer = replies.find((m) => m !== statusMessage);
    if (answer && status !== undefined && firstEdit !== undefined) {
      return { status, firstEdit, answer: Date.parse(answer.createdAt) - sentAt };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no answer to Telegram message ${requestId} within 60 s`);
}
