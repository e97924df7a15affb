import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { freePort } from "../../dev/net.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Processes whose command line mentions `needle` (the state dir marks everything dev started). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes(needle) || environ.includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/** Free ports for every service `npm run dev` starts. */
export async function devPorts() {
  return {
    web: await freePort(),
    db: await freePort(),
    supabase: await freePort(),
    sim: await freePort(),
    inbox: await freePort(),
  };
}

/** An `npm …` command in the repository, its stdout and stderr collected in `output()`. */
export function runNpm(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { detached?: boolean } = {},
): { process: ChildProcess; output: () => string } {
  const child = spawn("npm", args, {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { process: child, output: () => output };
}
