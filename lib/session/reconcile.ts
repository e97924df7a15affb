import { findSessionsAbandonedForAgent } from "../db/agent-waits.ts";
import { findExpiredLeases } from "../db/session-lease.ts";
import { logError } from "../log.ts";
import { dispatchSessionNotifications } from "../notify/dispatch.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { sweepExpiredSessionLogs } from "./log-retention.ts";

/** The error of a session no runner knowing its agent took within `AGENT_MISSING_FAIL_SECONDS`. */
export const AGENT_NOT_CONFIGURED = "service_unavailable:agent_not_configured";

/**
 * The one recovery path (the worker's sweep and the reconcile-sessions task both call it).
 * Finds sessions whose producer's lease expired while unfinished (a crashed worker, a route killed at
 * the platform limit, a deploy) and re-dispatches each at a new epoch, which fences the old runner if
 * it is still alive. The new runner resumes at the durable offset and stored agent cursor. Sessions
 * that waited `AGENT_MISSING_FAIL_SECONDS` for a runner that knows their agent are failed. It also
 * deletes the logs of sessions past SESSION_RETENTION_DAYS (`sweepExpiredSessionLogs`).
 */
export async function recoverExpiredSessions(runtime: Runtime): Promise<string[]> {
  const { sql, env, dispatcher, transitions } = runtime;
  const known = env.AGENTS.map((agent) => agent.name);
  const redispatched: string[] = [];
  for (const expired of await findExpiredLeases(sql, known)) {
    const epoch = await transitions.expire(expired.id, expired.epoch);
    if (epoch === null) continue;
    try {
      await dispatcher.dispatch({ sessionId: expired.id, epoch, userId: expired.userId });
      redispatched.push(expired.id);
    } catch (error) {
      // The pending lease expires again, so the next sweep dispatches it again.
      logError("re-dispatch failed", { sessionId: expired.id, epoch, error });
    }
  }
  await failSessionsWithoutAgent(runtime, known);
  await sweepExpiredSessionLogs(sql, env).catch((error: unknown) =>
    logError("session log retention sweep failed", { error }),
  );
  return redispatched;
}

/**
 * Ends, output kept, each session whose agent no runner configured like this process knows and that
 * waited longer than `AGENT_MISSING_FAIL_SECONDS` (the agent was removed from `AGENTS`, or the
 * runners that know it are gone). Runners never fail such a session themselves: they do not claim it.
 */
async function failSessionsWithoutAgent(runtime: Runtime, known: string[]): Promise<void> {
  const { sql, env, transitions } = runtime;
  for (const waiting of await findSessionsAbandonedForAgent(sql, known, env.AGENT_MISSING_FAIL_SECONDS)) {
    const epoch = await transitions.fenceOut(waiting.id);
    if (epoch === null) continue;
    logError("no runner knows the session's agent; failing it", {
      sessionId: waiting.id,
      agent: waiting.agent,
    });
    await transitions.finish({
      sessionId: waiting.id,
      epoch,
      status: "failed",
      run: null,
      error: {
        code: AGENT_NOT_CONFIGURED,
        message: `The agent "${waiting.agent}" is not configured on any runner.`,
      },
    });
    await dispatchSessionNotifications(sql, env, waiting.id);
  }
}
