import { z } from "zod";

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

  AGENT_SIM_URL: z.url().default("http://127.0.0.1:18789"),
  /** JSON array of agents (name, transport, url, token, model); replaces the simulator agents. */
  AGENTS: optionalString,
  DEFAULT_AGENT: z.string().default("sim-openclaw"),

  LIVE_BUDGET_SECONDS: int(740, 1),
  CHECKPOINT_MS: int(250, 1),
  CHECKPOINT_BYTES: int(8192, 1),
  LEASE_SECONDS: int(30, 2),

  SIGNUP_CREDITS: int(0),
  MIN_CREDITS_TO_START: int(1),
  MAX_LIVE_SESSIONS_PER_USER: int(4, 1),
  CHAT_REQUESTS_PER_MINUTE: int(30, 1),

  TRIGGER_SECRET_KEY: optionalString,
  TRIGGER_API_URL: optionalString,
  TRIGGER_PROJECT_REF: optionalString,

  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: optionalString,
  EMAIL_FROM: z.string().default("Overtime <overtime@example.com>"),
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: optionalString,
  TELEGRAM_WEBHOOK_SECRET: optionalString,
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Parses `process.env` once; a bad value fails with a sentence naming the variable. */
export function getEnv(source: Record<string, string | undefined> = process.env): Env {
  if (source === process.env && cached) return cached;
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment. Fix these variables: ${problems.join("; ")}`);
  }
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}

/** For tests that change settings between cases. */
export function resetEnvCache(): void {
  cached = undefined;
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
