import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { firstFolderClosedToOthers } from "./db/embedded.ts";

/** Whether a URL points at this machine (so the local stand-in should serve it). */
export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

export function portOf(url: string, fallback: number): number {
  const port = new URL(url).port;
  return port ? Number(port) : fallback;
}

/**
 * Where the dev cluster lives: `<state dir>/postgres`, unless we run as root and the `postgres` user
 * cannot reach that folder (e.g. a checkout under /root); then a stable folder under the OS temp dir.
 */
export function devPostgresDir(stateDir: string): string {
  const preferred = path.join(stateDir, "postgres");
  if (userInfo().uid !== 0) return preferred;
  // Others need search permission on every parent for the postgres user to reach the cluster.
  if (firstFolderClosedToOthers(path.dirname(stateDir))) {
    return path.join(tmpdir(), `overtime-${hashPath(stateDir)}`, "postgres");
  }
  mkdirSync(stateDir, { recursive: true });
  return preferred;
}

function hashPath(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 12);
}

/**
 * Spawns a child in its own process group, so stopping it also stops everything it started.
 * Output is prefixed with the child's name.
 */
export function spawnService(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const prefix = `[${name}] `;
  const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) stream.write(`${prefix}${line}\n`);
  };
  child.stdout?.on("data", forward(process.stdout));
  child.stderr?.on("data", forward(process.stderr));
  return child;
}

/** Sends SIGTERM to a child's whole process group and waits for it to exit (SIGKILL after `graceMs`). */
export async function stopService(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Calls `onGone` once any process between us and init exits. `npm run dev` runs us under `sh -c`,
 * which does not pass SIGTERM on: when npm or sh is terminated we notice here and stop everything.
 */
export function watchAncestors(onGone: () => void, everyMs = 1000): () => void {
  const ancestors: number[] = [];
  let pid = process.ppid;
  while (pid > 1 && ancestors.length < 6) {
    ancestors.push(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Field 4 is the parent pid; the command name (field 2) may contain spaces, so read after ')'.
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  const timer = setInterval(() => {
    for (const ancestor of ancestors) {
      try {
        process.kill(ancestor, 0);
      } catch {
        clearInterval(timer);
        onGone();
        return;
      }
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
