import { createRequireUser, type RequireUser } from "../auth/index.ts";
import type { Sql } from "../db/client.ts";
import { StreamWakeups } from "../db/ds-stream-wakeups.ts";
import { SessionNotifications } from "../db/session-notifications.ts";
import { createPostgresTransitions } from "../db/session-transitions.ts";
import type { Env } from "../env.ts";
import { type BackgroundDispatcher, getDispatcher } from "../jobs/dispatch.ts";
import { createSessionBroadcaster } from "../realtime/index.ts";
import { type Clock, systemClock } from "../session/clock.ts";
import { RunnerRegistry } from "../session/control.ts";
import type { SessionObserver, SessionTransitions } from "../session/ports.ts";

/**
 * What one process shares between its runners and readers, built once at start-up and passed in:
 * the pool and settings, the background dispatcher, the observers every transition and append is
 * told (the Realtime broadcaster), the lifecycle (`transitions`, announcing to those observers), the
 * clock, the registry of this process's runners (cancel, shutdown), the LISTEN hubs readers wake
 * from (session logs, other durable streams) and the request authoriser (its JWKS cache). Nothing in
 * lib/ keeps another copy: entry points (instrumentation.ts with process-runtime.ts, scripts/worker.ts,
 * each Trigger.dev task) build it, and tests build their own.
 */
export interface Runtime {
  readonly sql: Sql;
  readonly env: Env;
  readonly dispatcher: BackgroundDispatcher;
  readonly observers: readonly SessionObserver[];
  readonly transitions: SessionTransitions;
  readonly clock: Clock;
  readonly runners: RunnerRegistry;
  readonly notifications: SessionNotifications;
  readonly streamWakeups: StreamWakeups;
  /** The signed-in user of a request (401 `unauthorized:…` otherwise), verified with `env`'s keys. */
  readonly requireUser: RequireUser;
}

export interface RuntimeOptions {
  sql: Sql;
  env: Env;
  /** Default: Trigger.dev when TRIGGER_SECRET_KEY is set, else the local worker's NOTIFY. */
  dispatcher?: BackgroundDispatcher;
  /** Default: the Realtime broadcaster of `env`. */
  observers?: readonly SessionObserver[];
  clock?: Clock;
  /** Replaces transitions (a test scripting a race wraps the Postgres ones it is given). */
  transitions?: (postgres: SessionTransitions) => SessionTransitions;
  /** Default: verifies with `env`'s Supabase keys. */
  requireUser?: RequireUser;
}

/** Builds a process's runtime (no I/O until something is used). */
export function createRuntime(options: RuntimeOptions): Runtime {
  const { sql, env } = options;
  const observers = options.observers ?? [createSessionBroadcaster({ sql, env })];
  const postgres = createPostgresTransitions({ sql, observers, leaseSeconds: env.LEASE_SECONDS });
  return {
    sql,
    env,
    dispatcher: options.dispatcher ?? getDispatcher(env, sql),
    observers,
    transitions: options.transitions ? options.transitions(postgres) : postgres,
    clock: options.clock ?? systemClock,
    runners: new RunnerRegistry(sql),
    notifications: new SessionNotifications(sql),
    streamWakeups: new StreamWakeups(sql),
    requireUser: options.requireUser ?? createRequireUser({ env }),
  };
}
