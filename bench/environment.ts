import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { simulatorAgentsEnv } from "../dev/agent-sim/agents.ts";
import { startAgentSimulator } from "../dev/agent-sim/server.ts";
import { startSupabaseStandIn } from "../dev/auth/server.ts";
import { exitOnLocalPostgresError, startLocalPostgres } from "../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../dev/db/migrate.ts";
import { type Inbox, inboxCredentials, startInbox } from "../dev/inbox/server.ts";
import { freePort } from "../dev/net.ts";
import type { RealtimeStandIn } from "../dev/realtime/server.ts";
import { spawnService, stopService } from "../dev/stack.ts";
import { parseEnv } from "../lib/env.ts";

const root = path.resolve(import.meta.dirname, "..");

export interface BenchEnvironment {
  databaseUrl: string;
  supabaseUrl: string;
  agentSimUrl: string;
  /** The Realtime stand-in (its message counts). */
  realtime: RealtimeStandIn;
  /** The Resend and Telegram stand-ins the workers send notifications to. */
  inbox: Inbox;
  /** Starts the built app (`next start`) with extra settings; stopped by `close()`. */
  startApp(env?: Record<string, string>): Promise<{ url: string; pid: number; stop(): Promise<void> }>;
  startWorker(env?: Record<string, string>): Promise<ChildProcess>;
  baseEnv: Record<string, string>;
  close(): Promise<void>;
}

/** Everything the benchmarks need, on free ports, in a throw-away Postgres (never the dev one). */
export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const closers: (() => Promise<void>)[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), "overtime-bench-"));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const pg = await startLocalPostgres({
    dataDir: path.join(dir, "pg"),
    port: await freePort(),
    persistent: false,
  }).catch(exitOnLocalPostgresError);
  closers.push(() => pg.stop());
  await migrateLocalDatabase(pg.url);
  await seedLocalDatabase(pg.url);
  await grantBenchCredits(pg.url);
  const supabase = await startSupabaseStandIn({
    host: "127.0.0.1",
    port: await freePort(),
    databaseUrl: pg.url,
  });
  closers.push(() => supabase.close());
  const simulator = await startAgentSimulator({ host: "127.0.0.1", port: await freePort() });
  closers.push(() => simulator.close());
  const inbox = await startInbox({ port: 0, ...inboxCredentials(parseEnv({})) });
  closers.push(() => inbox.close());
  const baseEnv: Record<string, string> = {
    RESEND_BASE_URL: inbox.resendBaseUrl,
    TELEGRAM_API_ROOT: inbox.telegramApiRoot,
    NODE_ENV: "production",
    DATABASE_URL: pg.url,
    SUPABASE_URL: supabase.url,
    ...simulatorAgentsEnv(simulator.url),
    CHAT_REQUESTS_PER_MINUTE: "100000",
    MAX_LIVE_SESSIONS_PER_USER: "100000",
    NEXT_TELEMETRY_DISABLED: "1",
  };

  return {
    databaseUrl: pg.url,
    supabaseUrl: supabase.url,
    agentSimUrl: simulator.url,
    realtime: supabase.realtime,
    inbox,
    baseEnv,
    async startApp(env = {}) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = spawnService(
        "next",
        path.join(root, "node_modules", ".bin", "next"),
        ["start", "--hostname", "127.0.0.1", "--port", String(port)],
        { ...process.env, ...baseEnv, APP_URL: url, ...env },
      );
      const stop = () => stopService(child);
      closers.push(stop);
      for (let i = 0; i < 400; i++) {
        try {
          if ((await fetch(`${url}/api/health`)).ok) return { url, pid: child.pid!, stop };
        } catch {
          // Not up yet.
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error("the app did not start");
    },
    async startWorker(env = {}) {
      const child = spawn(
        path.join(root, "node_modules", ".bin", "tsx"),
        [path.join(root, "scripts", "worker.ts")],
        {
          env: { ...process.env, ...baseEnv, ...env },
          stdio: ["ignore", "pipe", "inherit"],
          detached: true,
        },
      );
      closers.push(() => stopService(child));
      await new Promise<void>((resolve) => {
        child.stdout?.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("local worker started")) resolve();
        });
      });
      return child;
    },
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const nowMs = () => performance.timeOrigin + performance.now();

/**
 * The benchmarks run thousands of sessions as the dev accounts: every active session holds part of
 * the balance (admission), so the seed's 1,000 credits would turn most of them away with a 402.
 */
async function grantBenchCredits(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`
      insert into credit_ledger (user_id, amount, kind, idempotency_key)
      select id, 100000000, 'grant', 'bench:' || id from auth.users
      on conflict (idempotency_key) do nothing`;
  } finally {
    await sql.end();
  }
}
