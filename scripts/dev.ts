// `npm run dev`: the whole product on one machine with local defaults — embedded Postgres, the
// Supabase stand-in (auth, Realtime), the agent simulator, one local worker and the Next.js dev server.
import path from "node:path";
import { startAgentSimulator } from "../dev/agent-sim/server.ts";
import { createResendMailer } from "../dev/auth/resend-mailer.ts";
import { startSupabaseStandIn } from "../dev/auth/server.ts";
import { type LocalPostgres, startLocalPostgres } from "../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../dev/db/migrate.ts";
import { inboxCredentials, startInbox } from "../dev/inbox/server.ts";
import { devPostgresDir, isLocalUrl, portOf, watchAncestors } from "../dev/stack.ts";
import { type SupervisedService, superviseService } from "../dev/supervise.ts";
import { LOCAL_AGENT_SIM_URL } from "../lib/agent/local-agents.ts";
import { parseEnv } from "../lib/env.ts";
import { registerTelegramWebhook } from "../lib/notify/telegram-linking.ts";

const root = path.resolve(import.meta.dirname, "..");
// Kept between runs (database, auth signing key); git-ignored.
const stateDir = path.resolve(process.env.OVERTIME_STATE_DIR ?? path.join(root, ".state"));
const log = (line: string) => console.log(`[dev] ${line}`);

const webPort = Number(process.env.PORT ?? 3000);
const appUrl = process.env.APP_URL ?? `http://127.0.0.1:${webPort}`;
const supabaseUrl = process.env.SUPABASE_URL ?? "http://127.0.0.1:54321";
const agentSimUrl = process.env.AGENT_SIM_URL ?? LOCAL_AGENT_SIM_URL;
const dbPort = Number(process.env.POSTGRES_PORT ?? 54322);
const inboxPort = Number(process.env.INBOX_PORT ?? 54324);
const inboxUrl = `http://127.0.0.1:${inboxPort}`;
const resendBaseUrl = process.env.RESEND_BASE_URL ?? `${inboxUrl}/resend`;

const closers: (() => Promise<void>)[] = [];
const services: SupervisedService[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise(() => {});
  stopping = true;
  log("stopping…");
  await Promise.allSettled(services.map((service) => service.stop()));
  for (const close of closers.reverse()) {
    await close().catch((error) => log(`while stopping: ${String(error)}`));
  }
  process.exit(code);
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
watchAncestors(() => void stopAll(0));

async function main(): Promise<void> {
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    log("starting embedded PostgreSQL…");
    const pg: LocalPostgres = await startLocalPostgres({
      dataDir: devPostgresDir(stateDir),
      port: dbPort,
      persistent: true,
    });
    closers.push(() => pg.stop());
    databaseUrl = pg.url;
    log("applying the Supabase bootstrap and migrations…");
    await migrateLocalDatabase(databaseUrl, (line) => log(line));
    await seedLocalDatabase(databaseUrl);
  }

  if (isLocalUrl(supabaseUrl)) {
    const standIn = await startSupabaseStandIn({
      host: "127.0.0.1",
      port: portOf(supabaseUrl, 54321),
      databaseUrl,
      stateDir,
      // Magic-link emails go where the product's emails go (the inbox, locally).
      mailer: createResendMailer({
        apiKey: parseEnv().RESEND_API_KEY,
        baseUrl: resendBaseUrl,
        from: parseEnv().EMAIL_FROM,
      }),
      siteUrl: appUrl,
      secretKey: process.env.SUPABASE_SECRET_KEY || undefined,
    });
    closers.push(() => standIn.close());
  }

  if (isLocalUrl(agentSimUrl)) {
    const simulator = await startAgentSimulator({ host: "127.0.0.1", port: portOf(agentSimUrl, 18789) });
    closers.push(() => simulator.close());
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    SUPABASE_URL: supabaseUrl,
    // An unset AGENTS means the simulator's agents at AGENT_SIM_URL (lib/env.ts), in every process.
    AGENT_SIM_URL: agentSimUrl,
    APP_URL: appUrl,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  // Email and Telegram go to the local inbox unless both providers are configured for real.
  if (!process.env.RESEND_BASE_URL || !process.env.TELEGRAM_API_ROOT) {
    env.RESEND_BASE_URL ??= resendBaseUrl;
    env.TELEGRAM_API_ROOT ??= `${inboxUrl}/telegram`;
    const notifyEnv = parseEnv(env);
    const inbox = await startInbox({
      host: "127.0.0.1",
      port: inboxPort,
      ...inboxCredentials(notifyEnv),
      // Update and message ids continue after a restart, as Telegram's do.
      telegramStateFile: path.join(stateDir, "inbox-telegram.json"),
    });
    closers.push(() => inbox.close());
    await registerTelegramWebhook(notifyEnv);
  }
  const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

  // Each child is restarted when it exits on its own (killed, crashed); only Ctrl-C stops the stack.
  if (process.env.DEV_WORKER !== "0") {
    const workerArgs = [path.join(root, "scripts", "worker.ts")];
    services.push(superviseService("worker", bin("tsx"), workerArgs, env, log));
  }
  const webArgs = ["dev", "--hostname", "127.0.0.1", "--port", String(webPort)];
  services.push(superviseService("web", bin("next"), webArgs, env, log));

  console.log(
    [
      "",
      "  Overtime is running locally",
      `  Web app            ${appUrl}`,
      `  Postgres           ${databaseUrl}`,
      `  Supabase (auth)    ${supabaseUrl}/auth/v1`,
      `  Supabase Realtime  ${supabaseUrl.replace(/^http/, "ws")}/realtime/v1/websocket`,
      `  Agent simulator    ${agentSimUrl}  (openclaw: /openclaw, openai: /openai/v1, anthropic: /anthropic)`,
      `  Local worker       ${process.env.DEV_WORKER === "0" ? "off (DEV_WORKER=0)" : "1 process (also sends notifications)"}`,
      `  Inbox              ${inboxUrl}  (email via Resend stand-in, Telegram bot @overtime_dev_bot)`,
      "  Dev accounts       alice@example.com / overtime-dev, bob@example.com / overtime-dev",
      "  Stop               Ctrl-C",
      "",
    ].join("\n"),
  );
}

main().catch((error) => {
  console.error("[dev] could not start:", error instanceof Error ? error.message : error);
  void stopAll(1);
});
