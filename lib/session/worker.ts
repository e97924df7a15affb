import { randomUUID } from "node:crypto";
import type { Sql } from "../db/client.ts";
import { DISPATCH_CHANNEL } from "../db/session-lease.ts";
import type { Env } from "../env.ts";
import { localWorkerDispatcher } from "../jobs/dispatch.ts";
import { logError, logInfo } from "../log.ts";
import { claimNextForBackground, produceClaimedSession } from "./background.ts";
import { recoverExpiredSessions } from "./reconcile.ts";

export interface LocalWorkerOptions {
  sql: Sql;
  env: Env;
  /** Sessions one process produces at once. */
  concurrency?: number;
  /** How often to look for expired leases even when nobody dispatched (the local reconciler). */
  reconcileMs?: number;
}

export interface LocalWorker {
  readonly id: string;
  /** Sessions in progress here. */
  readonly active: number;
  /** Stops claiming, hands running sessions back (checkpoint flushed, lease released) and resolves. */
  stop(): Promise<void>;
}

/**
 * The local background engine: woken by NOTIFY on dispatch, it claims sessions by lease
 * (FOR UPDATE SKIP LOCKED, epoch + 1) and runs them with the same code as the Trigger.dev task.
 * Its periodic sweep runs the one recovery path (`recoverExpiredSessions`, as the scheduled
 * reconcile-sessions task does): a session whose producer's lease expired is re-dispatched at a new
 * epoch, which wakes the workers to claim it.
 */
export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  const { sql, env } = options;
  const id = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  const concurrency = options.concurrency ?? 500;
  const yieldAll = new AbortController();
  const running = new Set<Promise<void>>();
  let stopped = false;
  let claiming = false;
  let again = false;
  const runInput = { runner: "worker" as const, owner: id, yieldSignal: yieldAll.signal, sql, env };

  const claimLoop = async () => {
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    try {
      do {
        again = false;
        while (!stopped && running.size < concurrency) {
          // One statement finds and takes the session (SKIP LOCKED), so workers never race for one.
          const claimed = await claimNextForBackground(runInput);
          if (claimed === "none") break;
          if (claimed === "unrunnable") continue;
          const sessionId = claimed.session.id;
          const run = produceClaimedSession(claimed, { ...runInput, sessionId })
            .then(() => undefined)
            .catch((error) => logError("worker session failed", { workerId: id, sessionId, error }))
            .finally(() => {
              running.delete(run);
              if (!stopped) void claimLoop();
            });
          running.add(run);
        }
      } while (again && !stopped);
    } catch (error) {
      logError("worker claim failed", { workerId: id, error });
    } finally {
      claiming = false;
    }
  };

  const listener = await sql.listen(DISPATCH_CHANNEL, () => void claimLoop());
  const recover = async () => {
    await recoverExpiredSessions({ sql, env, dispatcher: localWorkerDispatcher(sql) }).catch((error) =>
      logError("worker recovery sweep failed", { workerId: id, error }),
    );
    await claimLoop();
  };
  const sweep = setInterval(() => void recover(), options.reconcileMs ?? 2000);
  void claimLoop();
  logInfo("local worker started", { workerId: id, concurrency });

  return {
    id,
    get active() {
      return running.size;
    },
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await listener.unlisten();
      yieldAll.abort();
      await Promise.allSettled([...running]);
    },
  };
}
