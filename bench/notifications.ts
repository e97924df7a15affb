import { Resend } from "resend";
import { createSql } from "../lib/db/client.ts";
import { sendNotify } from "../lib/db/notify-payloads.ts";
import { parseEnv } from "../lib/env.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { benchSession, fmt } from "./support.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const CHAT_ID = 900_001;

/**
 * DESIGN §10: a finished background session's email and Telegram message leave within 5 s locally.
 * Measured from the session's `finished_at` to the stand-in's receipt, through the worker's sender;
 * baseline: one direct Resend SDK send to the same stand-in.
 */
export async function notificationDelay(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  const { inbox } = environment;
  inbox.telegram.chats.set(CHAT_ID, { id: CHAT_ID, username: "bench", blocked: false });
  await sql`insert into telegram_links (user_id, chat_id, username) values (${ALICE}, ${CHAT_ID}, 'bench')
            on conflict (user_id) do update set chat_id = excluded.chat_id`;
  await environment.startWorker();
  try {
    const emailDelays: number[] = [];
    const telegramDelays: number[] = [];
    for (let run = 0; run < 5; run++) {
      const before = inbox.store.messages.length;
      const started = await benchSession(sql, {
        message: `#sim tokens=50 rate=0 seed=notify${run}`,
        agent: "sim-openai-bg",
        mode: "background",
        status: "background",
        runner: null,
        leaseOwner: null,
        title: `notify ${run}`,
      });
      await sendNotify(sql, "session_dispatch", { s: "bench", e: 0 });
      const deadline = Date.now() + 30_000;
      while (inbox.store.messages.length < before + 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [row] = await sql<{ finished_at: Date }[]>`
        select finished_at from sessions where id = ${started.sessionId}`;
      for (const message of inbox.store.messages.slice(before)) {
        const delay = Date.parse(message.createdAt) - row!.finished_at.getTime();
        (message.channel === "email" ? emailDelays : telegramDelays).push(delay);
      }
    }
    const env = parseEnv({ ...environment.baseEnv });
    const resend = new Resend(env.RESEND_API_KEY, { baseUrl: env.RESEND_BASE_URL });
    const direct: number[] = [];
    for (let i = 0; i < 5; i++) {
      const begin = performance.now();
      await resend.emails.send({ from: env.EMAIL_FROM, to: ["bench@example.com"], subject: "b", text: "b" });
      direct.push(performance.now() - begin);
    }
    console.log(
      "\nNotifications, local worker (session finished → message received by the stand-in, 5 runs)",
    );
    console.log(
      `  email: p50 ${fmt(percentile(emailDelays, 50))} ms, max ${fmt(Math.max(...emailDelays))} ms; Telegram: p50 ${fmt(percentile(telegramDelays, 50))} ms, max ${fmt(Math.max(...telegramDelays))} ms (budget < 5000 ms)`,
    );
    console.log(`  baseline, one direct Resend SDK send: p50 ${fmt(percentile(direct, 50))} ms`);
  } finally {
    await sql.end();
  }
}
