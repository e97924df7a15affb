import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The pids of a cluster: its postmaster (from postmaster.pid in `dataDir`) and every backend it forked. */
export function clusterPids(dataDir: string): number[] {
  const postmaster = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // The parent pid is the 2nd field after the parenthesised command name.
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/**
 * Freezes a cluster (SIGSTOP: connections stay open, every query just hangs) while `during` runs,
 * then thaws it. Only for a cluster of the test's own, never the suite's shared one.
 */
export async function whilePaused<T>(dataDir: string, during: () => Promise<T>): Promise<T> {
  const pids = clusterPids(dataDir);
  if (pids.length < 2) throw new Error("the cluster has no backends to pause");
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  try {
    return await during();
  } finally {
    for (const pid of pids.reverse()) process.kill(pid, "SIGCONT");
  }
}
