import { z } from "zod";
import { parseAgentsSetting, resolveAgents } from "./agent/agents-config.ts";
import { LOCAL_AGENT_SIM_URL, localSimulatorAgents } from "./agent/local-agents.ts";

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

/** The secret key the local Supabase stand-in (dev/realtime) maps to `service_role`. */
export const LOCAL_SUPABASE_SECRET_KEY = "sb_secret_overtime_local_dev";

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/**
 * Every setting of the product. Production services are optional: when their variables are absent
 * the local default (embedded Postgres, local worker, the `dev/` stand-ins) is used.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  APP_URL: z.url().default("http://127.0.0.1:3000"),
  DATABASE_URL: z.url().default("postgresql://postgres:postgres@127.0.0.1:54322/postgres"),
  /**
   * The connection that LISTENs for session-log and dispatch notifications, when DATABASE_URL cannot
   * (Supabase's transaction pooler, port 6543): a session-mode pooler (port 5432) or direct URL.
   */
  DATABASE_LISTEN_URL: optionalString.pipe(z.url().optional()),
  DATABASE_POOL_MAX: int(10, 1),

  SUPABASE_URL: z.url().default("http://127.0.0.1:54321"),
  /** Publishable (anon) key the browser sends as `apikey`. The local stand-ins accept any value. */
  SUPABASE_ANON_KEY: z.string().min(1).default("sb_publishable_overtime_local_dev"),
  /**
   * Server key for Realtime broadcasts (`httpSend`): the project's secret key (`sb_secret_…`) or the
   * legacy `service_role` JWT. The local default is the key the Realtime stand-in accepts.
   */
  SUPABASE_SECRET_KEY: z.string().min(1).default(LOCAL_SUPABASE_SECRET_KEY),
  /** Legacy HS256 secret; when absent, tokens are verified against the project's JWKS. */
  SUPABASE_JWT_SECRET: optionalString,
  /** Expected `iss` of access tokens; defaults to `${SUPABASE_URL}/auth/v1`. */
  SUPABASE_JWT_ISSUER: optionalString,

  /**
   * JSON array of agents `{name, transport, url, token, model, price?: {input, output}}` (USD per
   * million tokens), parsed here once. An agent whose price cannot be determined is an error. Unset:
   * the local simulator's agents at `AGENT_SIM_URL` (see the transform below), in every process alike.
   */
  AGENTS: optionalString.transform((value, ctx) =>
    value === undefined ? undefined : parseAgentsSetting(value, ctx),
  ),
  /** The local agent simulator, whose agents an unset `AGENTS` means. */
  AGENT_SIM_URL: z.url().default(LOCAL_AGENT_SIM_URL),
  /**
   * A session waiting for a runner that knows its agent is failed (`service_unavailable:
   * agent_not_configured`) by the reconciler only after this long; a runner never claims it.
   */
  AGENT_MISSING_FAIL_SECONDS: int(600, 1),
  /** The agent a chat without `agent` uses; the first of `AGENTS` when unset. */
  DEFAULT_AGENT: optionalString,

  LIVE_BUDGET_SECONDS: int(740, 1),
  /** Between checkpoint writes while someone watches the session (issue 19). */
  CHECKPOINT_MS: int(100, 1),
  /** Between checkpoint writes while nobody watches it (never shorter than CHECKPOINT_MS). */
  CHECKPOINT_IDLE_MS: int(1000, 1),
  /** Largest log row; an unwatched session with this much unwritten is written at CHECKPOINT_MS. */
  CHECKPOINT_BYTES: int(8192, 1),
  LEASE_SECONDS: int(30, 2),
  /**
   * Days a finished session's log is kept; the reconciler deletes older logs (a replay then answers
   * 410 `gone:session_log`). Unset: kept forever.
   */
  SESSION_RETENTION_DAYS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).optional()),

  SIGNUP_CREDITS: int(0),
  MIN_CREDITS_TO_START: int(1),
  MAX_LIVE_SESSIONS_PER_USER: int(4, 1),
  CHAT_REQUESTS_PER_MINUTE: int(30, 1),

  TRIGGER_SECRET_KEY: optionalString,
  TRIGGER_API_URL: optionalString,
  TRIGGER_PROJECT_REF: optionalString,

  // Notifications (DESIGN §7). The defaults point at the local inbox (dev/inbox, INBOX_PORT 54324).
  RESEND_API_KEY: z.string().min(1).default("re_overtime_local_dev"),
  RESEND_BASE_URL: z.url().default("http://127.0.0.1:54324/resend"),
  EMAIL_FROM: z.string().default("Overtime <overtime@example.com>"),
  TELEGRAM_BOT_TOKEN: z.string().min(1).default("7000000001:overtime-local-dev-token"),
  TELEGRAM_API_ROOT: z.url().default("http://127.0.0.1:54324/telegram"),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "1–256 characters from A-Z a-z 0-9 _ -")
    .default("overtime-local-webhook-secret"),
  TELEGRAM_BOT_USERNAME: z.string().min(1).default("overtime_dev_bot"),
  /** A notification left `sending` this long by a sender that died is claimed again. */
  NOTIFY_SENDING_TIMEOUT_SECONDS: int(60, 1),

  // Durable Streams reads (/api/ds): how long a long-poll waits at the tail; how long an SSE
  // connection lives before the client reconnects (the protocol says about 60 s).
  DS_LONG_POLL_SECONDS: int(20, 1),
  DS_SSE_SECONDS: int(60, 1),
});

/** The settings with `AGENTS` resolved: unset means the local simulator's agents (never an empty list). */
const resolvedEnvSchema = envSchema.transform((env, ctx) => ({
  ...env,
  AGENTS: env.AGENTS ?? resolveAgents(localSimulatorAgents(env.AGENT_SIM_URL), ctx),
}));

export type Env = z.infer<typeof resolvedEnvSchema>;

/**
 * The live route's `maxDuration` (app/api/chat/route.ts; a test keeps the two equal). Vercel stops
 * the function there, so the live budget must end before it with time left for the handoff.
 */
export const LIVE_ROUTE_MAX_DURATION_SECONDS = 800;
/** Time a live runner needs after its budget: flush, fence, dispatch, tell the browser. */
export const HANDOFF_MARGIN_SECONDS = 30;

/** Whether a Postgres URL is a transaction-mode pooler (Supavisor / PgBouncer on port 6543), which cannot LISTEN. */
export function isTransactionPoolerUrl(url: string): boolean {
  const parsed = new URL(url);
  return parsed.port === "6543" || parsed.searchParams.get("pgbouncer") === "true";
}

/** The URL the LISTEN connection uses. */
export function listenUrl(env: Env): string {
  return env.DATABASE_LISTEN_URL ?? env.DATABASE_URL;
}

/** Rules that involve more than one setting; each message names every variable it involves. */
function crossCheck(env: Env): string[] {
  const problems: string[] = [];
  if (
    env.DEFAULT_AGENT &&
    env.AGENTS.length > 0 &&
    !env.AGENTS.some((agent) => agent.name === env.DEFAULT_AGENT)
  ) {
    problems.push(
      `DEFAULT_AGENT ("${env.DEFAULT_AGENT}") names no agent of AGENTS: set it to one of their names`,
    );
  }
  const latest = LIVE_ROUTE_MAX_DURATION_SECONDS - HANDOFF_MARGIN_SECONDS;
  if (env.LIVE_BUDGET_SECONDS > latest) {
    problems.push(
      `LIVE_BUDGET_SECONDS (${env.LIVE_BUDGET_SECONDS}) does not fit the live route's maxDuration (${LIVE_ROUTE_MAX_DURATION_SECONDS} s in app/api/chat/route.ts): ` +
        `set it to at most ${latest}, so the handoff finishes before the platform stops the function`,
    );
  }
  if (isTransactionPoolerUrl(listenUrl(env))) {
    const which = env.DATABASE_LISTEN_URL
      ? "DATABASE_LISTEN_URL"
      : "DATABASE_URL (used for LISTEN because DATABASE_LISTEN_URL is not set)";
    problems.push(
      `${which} is a transaction-pooler URL (port 6543 or pgbouncer=true), which cannot LISTEN: ` +
        "set DATABASE_LISTEN_URL to Supabase's session-mode pooler (port 5432) or the direct connection string",
    );
  }
  return problems;
}

/**
 * Parses the settings (`process.env` unless given); a bad value fails with a sentence naming the
 * variable. Pure: a process parses once, when it builds its runtime, and passes `runtime.env` on.
 */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = resolvedEnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment. Fix these variables: ${problems.join("; ")}`);
  }
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) throw new Error(`Invalid environment. ${problems.join(". ")}.`);
  return parsed.data;
}

/** The issuer access tokens must carry. */
export function jwtIssuer(env: Env): string {
  return env.SUPABASE_JWT_ISSUER ?? `${env.SUPABASE_URL.replace(/\/$/, "")}/auth/v1`;
}

/** Fails with a sentence naming the variable when an optional integration is used unconfigured. */
export function requireSetting<K extends keyof Env>(env: Env, key: K): NonNullable<Env[K]> {
  const value = env[key];
  if (value === undefined || value === null) {
    throw new Error(`${String(key)} is not set; set it to use this integration.`);
  }
  return value as NonNullable<Env[K]>;
}
