import { getSql, type Sql } from "../db/client.ts";
import { bumpExpiredEpoch, findExpiredLeases } from "../db/session-lease.ts";
import { type Env, getEnv } from "../env.ts";
import { type BackgroundDispatcher, getDispatcher } from "../jobs/dispatch.ts";
import { logError } from "../log.ts";
import { sweepExpiredSessionLogs } from "./log-retention.ts";

/**
 * The one recovery path (the worker's sweep and the reconcile-sessions task both call it).
 * Finds sessions whose producer's lease expired while unfinished (a crashed worker, a route killed at
 * the platform limit, a deploy) and re-dispatches each at a new epoch, which fences the old runner if
 * it is still alive. The new runner resumes at the durable offset and stored agent cursor.
 * It also deletes the logs of sessions past SESSION_RETENTION_DAYS (`sweepExpiredSessionLogs`).
 */
export async function recoverExpiredSessions(
  options: { sql?: Sql; env?: Env; dispatcher?: BackgroundDispatcher } = {},
): Promise<string[]> {
  const sql = options.sql ?? getSql();
  const env = options.env ?? getEnv();
  const dispatcher = options.dispatcher ?? getDispatcher(env, sql);
  const redispatched: string[] = [];
  for (const expired of await findExpiredLeases(sql)) {
    const epoch = await bumpExpiredEpoch(sql, expired.id, expired.epoch, env.LEASE_SECONDS);
    if (epoch === null) continue;
    try {
      await dispatcher.dispatch({ sessionId: expired.id, epoch, userId: expired.userId });
      redispatched.push(expired.id);
    } catch (error) {
      // The pending lease expires again, so the next sweep dispatches it again.
      logError("re-dispatch failed", { sessionId: expired.id, epoch, error });
    }
  }
  await sweepExpiredSessionLogs(sql, env).catch((error: unknown) =>
    logError("session log retention sweep failed", { error }),
  );
  return redispatched;
}
