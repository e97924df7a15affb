import type { ChildProcess } from "node:child_process";
import { spawnService, stopService } from "./stack.ts";

/** A child `npm run dev` keeps running: restarted when it exits, until `stop()`. */
export interface SupervisedService {
  readonly name: string;
  /** The running child (a new one after each restart). */
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** A child that ran at least this long before exiting is restarted at once; sooner, after a backoff. */
const HEALTHY_RUN_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Spawns a service (its own process group) and restarts it whenever it exits on its own (killed,
 * crashed), saying so: one child going away does not take the stack down. A child that keeps dying
 * right after starting is restarted with a growing delay (1 s, 2 s, … 30 s).
 */
export function superviseService(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): SupervisedService {
  let stopped = false;
  let backoffMs = 1000;
  let restartTimer: NodeJS.Timeout | undefined;
  let child: ChildProcess;

  const start = () => {
    const startedAt = Date.now();
    child = spawnService(name, command, args, env);
    log(`${name} started (pid ${child.pid})`);
    child.once("exit", (code, signal) => {
      if (stopped) return;
      // Whatever the child left in its process group (next dev's server process) goes with it.
      killGroup(child.pid);
      const quick = Date.now() - startedAt < HEALTHY_RUN_MS;
      const delay = quick ? backoffMs : 0;
      backoffMs = quick ? Math.min(backoffMs * 2, MAX_BACKOFF_MS) : 1000;
      log(
        `${name} exited (${signal ? `signal ${signal}` : `code ${code}`}); restarting it` +
          (delay > 0 ? ` in ${delay / 1000} s` : ""),
      );
      restartTimer = setTimeout(start, delay);
    });
  };
  start();

  return {
    name,
    get child() {
      return child;
    },
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      await stopService(child);
      killGroup(child.pid);
    },
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}
