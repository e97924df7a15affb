import { getSql, type Sql } from "../db/client.ts";
import { SessionNotifications } from "../db/session-notifications.ts";
import { RunnerRegistry } from "./control.ts";

/**
 * What one process shares between its runners and readers: the pool, the registry of its runners
 * (cancel, shutdown) and the one LISTEN hub readers wake from. One per pool: in production one per
 * process; a test that opens its own pool gets its own.
 */
export interface SessionRuntime {
  readonly sql: Sql;
  readonly runners: RunnerRegistry;
  readonly notifications: SessionNotifications;
}

export function createSessionRuntime(sql: Sql): SessionRuntime {
  return { sql, runners: new RunnerRegistry(sql), notifications: new SessionNotifications(sql) };
}

// Kept on globalThis so Next's dev reloads reuse the runtime (and its LISTEN connections).
const globalForRuntime = globalThis as unknown as { overtimeRuntimes?: WeakMap<Sql, SessionRuntime> };

/** The runtime of `sql` (default: the process pool), created on first use. */
export function sessionRuntime(sql: Sql = getSql()): SessionRuntime {
  globalForRuntime.overtimeRuntimes ??= new WeakMap();
  let runtime = globalForRuntime.overtimeRuntimes.get(sql);
  if (!runtime) {
    runtime = createSessionRuntime(sql);
    globalForRuntime.overtimeRuntimes.set(sql, runtime);
  }
  return runtime;
}
