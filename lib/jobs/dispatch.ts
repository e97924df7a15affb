import { configure, runs, type Task, tasks } from "@trigger.dev/sdk";
import type { Sql } from "../db/client.ts";
import { notifyDispatch, recordRunId } from "../db/session-lease.ts";
import type { Env } from "../env.ts";

export interface DispatchRequest {
  sessionId: string;
  /** The epoch the handoff (or reconciler) fenced the session at; part of the idempotency key. */
  epoch: number;
  userId: string;
}

/** Starts background runners: Trigger.dev in production, local worker processes otherwise. */
export interface BackgroundDispatcher {
  readonly kind: "trigger" | "worker";
  dispatch(request: DispatchRequest): Promise<{ runId: string | null }>;
  /** Stops the background run of a session, where the engine has one. */
  cancel(runId: string | null): Promise<void>;
}

/** The queue every agent session runs on; its concurrency limit caps runs per environment. */
export const AGENT_SESSION_QUEUE = "agent-sessions";

/**
 * The agent-session task as the dispatcher triggers it (trigger/agent-session.ts checks at compile
 * time that its task is exactly this): declared here so the web app's import graph does not reach
 * the task file, which runs lib/session itself.
 */
export type AgentSessionTask = Task<
  "agent-session",
  { sessionId: string; epoch: number },
  { outcome: string; offset: number }
>;

export function idempotencyKeyFor(sessionId: string, epoch: number): string {
  return `session:${sessionId}:epoch:${epoch}`;
}

/** Trigger.dev when TRIGGER_SECRET_KEY is set; the local worker otherwise. */
export function getDispatcher(env: Env, sql: Sql): BackgroundDispatcher {
  return env.TRIGGER_SECRET_KEY ? triggerDispatcher(env, sql) : localWorkerDispatcher(sql);
}

export function localWorkerDispatcher(sql: Sql): BackgroundDispatcher {
  return {
    kind: "worker",
    async dispatch({ sessionId, epoch }) {
      await notifyDispatch(sql, sessionId, epoch);
      return { runId: null };
    },
    // Local workers hear cancels on the control channel; nothing else to stop.
    async cancel() {},
  };
}

export function triggerDispatcher(env: Env, sql: Sql): BackgroundDispatcher {
  configure({
    secretKey: env.TRIGGER_SECRET_KEY,
    ...(env.TRIGGER_API_URL ? { baseURL: env.TRIGGER_API_URL } : {}),
  });
  return {
    kind: "trigger",
    async dispatch({ sessionId, epoch, userId }) {
      const handle = await tasks.trigger<AgentSessionTask>(
        "agent-session",
        { sessionId, epoch },
        {
          idempotencyKey: idempotencyKeyFor(sessionId, epoch),
          idempotencyKeyTTL: "1h",
          tags: [`session_${sessionId}`, `user_${userId}`],
          concurrencyKey: userId,
          queue: AGENT_SESSION_QUEUE,
        },
      );
      await recordRunId(sql, sessionId, epoch, handle.id);
      return { runId: handle.id };
    },
    async cancel(runId) {
      if (runId) await runs.cancel(runId);
    },
  };
}
