import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { freePort } from "../../dev/net.ts";
import { waitFor } from "./api.ts";

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

export type DevPorts = Awaited<ReturnType<typeof devPorts>>;

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

/**
 * Stops `npm run dev` with SIGTERM and waits until everything it started is gone: its ports close
 * and no process carries its state dir (which is then removed).
 */
export async function stopDevAndExpectNothingLeft(
  dev: ChildProcess,
  ports: Record<string, number>,
  stateDir: string,
): Promise<void> {
  dev.kill("SIGTERM");
  await new Promise((resolve) => (dev.exitCode === null ? dev.once("exit", resolve) : resolve(0)));
  await waitFor(
    async () => {
      const open = await Promise.all(Object.values(ports).map(listening));
      return !open.some(Boolean) && processesMentioning(stateDir).length === 0 ? true : undefined;
    },
    30_000,
    250,
  ).finally(() => rm(stateDir, { recursive: true, force: true }));
}

/** The environment of `npm run dev` on `ports`: nothing else set (no AGENTS, no DATABASE_URL). */
export function devEnv(ports: DevPorts, stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(ports.web),
    POSTGRES_PORT: String(ports.db),
    SUPABASE_URL: `http://127.0.0.1:${ports.supabase}`,
    AGENT_SIM_URL: `http://127.0.0.1:${ports.sim}`,
    INBOX_PORT: String(ports.inbox),
    OVERTIME_STATE_DIR: stateDir,
  };
  for (const name of ["AGENTS", "DEFAULT_AGENT", "DATABASE_URL", "APP_URL"]) delete env[name];
  return env;
}
