import { randomUUID } from "node:crypto";
import { ChannelListener } from "../db/listen.ts";
import { DISPATCH_CHANNEL } from "../db/session-lease.ts";
import { localWorkerDispatcher } from "../jobs/dispatch.ts";
import { logError, logInfo } from "../log.ts";
import type { Runtime } from "../runtime/runtime.ts";
import {
  type BackgroundRunInput,
  type ClaimedSession,
  claimWaitingForBackground,
  produceClaimedSession,
} from "./background.ts";
import { recoverExpiredSessions } from "./reconcile.ts";

export interface LocalWorkerOptions {
  /** The process's runtime. */
  runtime: Runtime;
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
  const { runtime } = options;
  const { sql } = runtime;
  const id = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  const concurrency = options.concurrency ?? 500;
  const yieldAll = new AbortController();
  const loop = new ClaimLoop(
    { runner: "worker", owner: id, yieldSignal: yieldAll.signal, runtime },
    concurrency,
  );
  // A LISTEN that fails at start-up is retried with backoff before the worker gives up.
  const listener = new ChannelListener(sql, DISPATCH_CHANNEL, () => void loop.claim());
  await listener.ready();
  const recover = async () => {
    // Recovery here wakes the local workers (NOTIFY), whatever dispatches the process's own sessions.
    await recoverExpiredSessions({ ...runtime, dispatcher: localWorkerDispatcher(sql) }).catch((error) =>
      logError("worker recovery sweep failed", { workerId: id, error }),
    );
    await loop.claim();
  };
  const sweep = setInterval(() => void recover(), options.reconcileMs ?? 2000);
  void loop.claim();
  logInfo("local worker started", { workerId: id, concurrency });

  return {
    id,
    get active() {
      return loop.running.size;
    },
    async stop() {
      loop.stopped = true;
      clearInterval(sweep);
      await listener.unlisten();
      yieldAll.abort();
      await Promise.allSettled([...loop.running]);
    },
  };
}

/**
 * Sessions one claim statement takes at most: enough that a thousand waiting sessions start in a few
 * dozen statements, few enough that several workers woken together share them out.
 */
const CLAIM_BATCH = 25;

/** Claims sessions until the worker is full or none waits; a call during a claim runs it again after. */
class ClaimLoop {
  readonly running = new Set<Promise<void>>();
  stopped = false;
  #claiming = false;
  #again = false;

  constructor(
    readonly runInput: Omit<BackgroundRunInput, "sessionId"> & { owner: string },
    readonly concurrency: number,
  ) {}

  async claim(): Promise<void> {
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#claiming = true;
    try {
      do {
        this.#again = false;
        await this.#fill();
      } while (this.#again && !this.stopped);
    } catch (error) {
      logError("worker claim failed", { workerId: this.runInput.owner, error });
    } finally {
      this.#claiming = false;
    }
  }

  async #fill(): Promise<void> {
    while (!this.stopped && this.running.size < this.concurrency) {
      // One statement finds and takes as many sessions as there is room for, up to CLAIM_BATCH
      // (SKIP LOCKED), so workers never race for one and a full start costs a few round trips, not
      // a few per session.
      const limit = Math.min(CLAIM_BATCH, this.concurrency - this.running.size);
      const { claimed, taken } = await claimWaitingForBackground(this.runInput, limit);
      for (const session of claimed) this.#start(session);
      if (taken < limit) return;
    }
  }

  #start(claimed: ClaimedSession): void {
    const sessionId = claimed.session.id;
    const run = produceClaimedSession(claimed, { ...this.runInput, sessionId })
      .then(() => undefined)
      .catch((error) =>
        logError("worker session failed", { workerId: this.runInput.owner, sessionId, error }),
      )
      .finally(() => {
        this.running.delete(run);
        if (!this.stopped) void this.claim();
      });
    this.running.add(run);
  }
}
