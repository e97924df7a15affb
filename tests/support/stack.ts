import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { createResendMailer } from "../../dev/auth/resend-mailer.ts";
import { startSupabaseStandIn } from "../../dev/auth/server.ts";
import { type Inbox, inboxCredentials, startInbox } from "../../dev/inbox/server.ts";
import { freePort } from "../../dev/net.ts";
import type { RealtimeStandIn } from "../../dev/realtime/server.ts";
import { spawnService, stopService } from "../../dev/stack.ts";
import { parseEnv } from "../../lib/env.ts";
import { registerTelegramWebhook } from "../../lib/notify/telegram-linking.ts";
import { createTestDatabase } from "./database.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

export interface TestStack {
  appUrl: string;
  supabaseUrl: string;
  agentSimUrl: string;
  databaseUrl: string;
  /** The local inbox (Resend and Telegram stand-ins), its webhook registered for the app. */
  inbox: Inbox;
  /** Environment the app runs with (also handy for in-process lib calls). */
  env: Record<string, string>;
  /** The Realtime stand-in (stop/start it to take Realtime down) and the lines it logged. */
  realtime: RealtimeStandIn;
  realtimeLog: string[];
  /** The `next start` process (its group leader), when the app runs. */
  appProcess: ChildProcess | undefined;
  /** Starts a local worker process (`scripts/worker.ts`) on this stack; stopped by `close()`. */
  startWorker(extraEnv?: Record<string, string>): Promise<ChildProcess>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  /** Extra environment for the app server (e.g. LIVE_BUDGET_SECONDS). */
  env?: Record<string, string>;
  /** Skip the Next.js server when a test only needs the stand-ins. */
  app?: boolean;
  /** A migrated, seeded database of the test's own (e.g. a cluster it pauses); default: a fresh clone. */
  databaseUrl?: string;
}

/**
 * The product as `npm run dev` wires it, on free ports: the Supabase stand-in and the agent simulator
 * in this process, and the built Next.js app (`next start`) as a child, on a fresh clone of the
 * migrated, seeded test database.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const database = await createTestDatabase();
      closers.push(() => database.drop());
      databaseUrl = database.url;
    }
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const defaults = parseEnv({});
    const inbox = await startInbox({ port: 0, ...inboxCredentials(defaults) });
    closers.push(() => inbox.close());
    const realtimeLog: string[] = [];
    const supabase = await startSupabaseStandIn({
      host: "127.0.0.1",
      port: await freePort(),
      databaseUrl,
      mailer: createResendMailer({
        apiKey: defaults.RESEND_API_KEY,
        baseUrl: inbox.resendBaseUrl,
        from: defaults.EMAIL_FROM,
      }),
      siteUrl: appUrl,
      realtime: { log: (line) => realtimeLog.push(line) },
    });
    closers.push(() => supabase.close());
    const simulator = await startAgentSimulator({ host: "127.0.0.1", port: await freePort() });
    closers.push(() => simulator.close());
    const env: Record<string, string> = {
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      SUPABASE_URL: supabase.url,
      ...simulatorAgentsEnv(simulator.url),
      APP_URL: appUrl,
      RESEND_BASE_URL: inbox.resendBaseUrl,
      TELEGRAM_API_ROOT: inbox.telegramApiRoot,
      ...options.env,
    };
    await registerTelegramWebhook(parseEnv(env));
    let appProcess: ChildProcess | undefined;
    if (options.app !== false) {
      const child = await startNextServer(port, env);
      appProcess = child;
      closers.push(() => stopService(child));
    }
    const startWorker = async (extraEnv: Record<string, string> = {}) => {
      const worker = await startWorkerProcess({ ...env, ...extraEnv });
      closers.push(() => stopService(worker));
      return worker;
    };
    return {
      appUrl,
      supabaseUrl: supabase.url,
      agentSimUrl: simulator.url,
      databaseUrl,
      inbox,
      realtime: supabase.realtime,
      realtimeLog,
      env,
      appProcess,
      startWorker,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function startNextServer(port: number, env: Record<string, string>): Promise<ChildProcess> {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    throw new Error("The app is not built: run `npm test` (it builds first) or `npx next build`.");
  }
  const child = spawnService(
    "next",
    path.join(root, "node_modules", ".bin", "next"),
    ["start", "--hostname", "127.0.0.1", "--port", String(port)],
    { ...process.env, ...env, NEXT_TELEMETRY_DISABLED: "1" },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (response.ok) return child;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  await stopService(child);
  throw new Error("next start did not answer within 60 s");
}

/**
 * A worker (`scripts/worker.ts`) in a node of its own with tsx as a loader, not under the `tsx` CLI,
 * which runs the script in a second process: so the child's pid is the worker's own, the one in its
 * lease owner (`worker-<pid>-…`), and a test that kills a worker by it kills and forgets that child.
 */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "worker.ts")], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    // A deadline for a starting process, not a timing: tsx compiles the worker's files on a busy CI.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("worker did not start within 90 s"));
    }, 90_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("local worker started")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(`[worker ${child.pid}] ${chunk}`));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}`));
    });
  });
  return child;
}
