import type { Sql } from "../../lib/db/client.ts";
import { createPostgresTransitions } from "../../lib/db/session-transitions.ts";
import type { Env } from "../../lib/env.ts";
import { localWorkerDispatcher } from "../../lib/jobs/dispatch.ts";
import { postgresRunPorts } from "../../lib/runtime/run-ports.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../lib/runtime/runtime.ts";
import { runBackgroundSession } from "../../lib/session/background.ts";
import { systemClock } from "../../lib/session/clock.ts";
import type { RunPorts } from "../../lib/session/ports.ts";
import { type RunSessionInput, runSession } from "../../lib/session/run-session.ts";

const runtimes = new WeakMap<Env, WeakMap<Sql, Runtime>>();

/**
 * The runtime a test's runners use: its pool and settings, dispatching to local workers (NOTIFY).
 * One per pool and settings, as a process has one; `options` builds a separate one.
 */
export function testRuntime(sql: Sql, env: Env, options?: Partial<RuntimeOptions>): Runtime {
  if (options) return createRuntime({ sql, env, dispatcher: localWorkerDispatcher(sql), ...options });
  const bySql = runtimes.get(env) ?? new WeakMap<Sql, Runtime>();
  runtimes.set(env, bySql);
  const runtime = bySql.get(sql) ?? createRuntime({ sql, env, dispatcher: localWorkerDispatcher(sql) });
  bySql.set(sql, runtime);
  return runtime;
}

/** `runSession`'s Postgres ports with no observers (the lifecycle's finish announces to nobody). */
export function storePorts(sql: Sql, overrides: Partial<RunPorts> = {}): RunPorts {
  const transitions = createPostgresTransitions({ sql, observers: [], leaseSeconds: 30 });
  return postgresRunPorts({ sql, transitions, clock: systemClock, observers: [] }, overrides);
}

/** Runs a background session to its end in this process, as a local worker does (lease owner `test`). */
export function runAsWorker(sql: Sql, env: Env, sessionId: string): ReturnType<typeof runBackgroundSession> {
  return runBackgroundSession({ sessionId, runner: "worker", owner: "test", runtime: testRuntime(sql, env) });
}

/** What `runFromStart` needs besides the session: `content` is the one user message the agent is asked. */
export type FirstRunInput = Omit<
  RunSessionInput,
  "sessionId" | "epoch" | "request" | "startOffset" | "signal"
> & {
  content: string;
  signal?: AbortSignal;
};

/** `runSession` of a session's first run: from offset 0 of the log, at its epoch, never cancelled unless `signal` says. */
export function runFromStart(
  session: { sessionId: string; epoch: number },
  input: FirstRunInput,
): ReturnType<typeof runSession> {
  const { content, ...rest } = input;
  return runSession({
    sessionId: session.sessionId,
    epoch: session.epoch,
    request: { messages: [{ role: "user", content }] },
    startOffset: 0,
    signal: new AbortController().signal,
    ...rest,
  });
}
