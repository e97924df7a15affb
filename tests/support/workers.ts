import type { ChildProcess } from "node:child_process";
import type postgres from "postgres";
import { waitFor } from "./api.ts";

/** A worker process found running a session: its lease owner (`worker-<pid>-…`), pid and epoch. */
export interface RunningWorker {
  owner: string;
  pid: number;
  epoch: number;
}

/**
 * Waits until a worker process holds the session's lease and has made the log longer than
 * `pastOffset` bytes (default 0: it has written) and, with `metered`, has billed a metering step.
 */
export async function workerRunning(
  sql: postgres.Sql,
  sessionId: string,
  until: { pastOffset?: number; metered?: boolean } = {},
): Promise<RunningWorker> {
  const { pastOffset = 0, metered = false } = until;
  return waitFor(async () => {
    const [row] =
      await sql`select lease_owner, durable_offset, metered_credits, epoch from sessions where id = ${sessionId}`;
    const owner = row?.lease_owner as string | null | undefined;
    if (!owner?.startsWith("worker-") || Number(row!.durable_offset) <= pastOffset) return undefined;
    if (metered && !(Number(row!.metered_credits) > 0)) return undefined;
    return { owner, pid: Number(owner.split("-")[1]), epoch: row!.epoch as number };
  });
}

/**
 * SIGKILLs the started worker whose pid is `pid` (a lease owner's: the worker's own, see
 * `startWorker`) and takes it off the file's list of started workers; throws if none has that pid.
 */
export function killWorker(workers: ChildProcess[], pid: number): void {
  const index = workers.findIndex((child) => child.pid === pid);
  if (index === -1) {
    const started = workers.map((child) => child.pid).join(", ");
    throw new Error(`No started worker has pid ${pid} (started: ${started}).`);
  }
  process.kill(pid, "SIGKILL");
  workers.splice(index, 1);
}
