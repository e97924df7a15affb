import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
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

/** What `npm run dev` is started with in a test: a fresh state directory, free ports, their environment. */
export async function newDevSetup(): Promise<{ stateDir: string; ports: DevPorts; env: NodeJS.ProcessEnv }> {
  const stateDir = await mkdtemp(path.join(tmpdir(), "overtime-dev-test-"));
  const ports = await devPorts();
  return { stateDir, ports, env: devEnv(ports, stateDir) };
}

/** Waits (up to 3 minutes) until `npm run dev`'s output says the stack is running. */
export function devRunning(output: () => string): Promise<true> {
  return waitFor(
    async () => (output().includes("Overtime is running locally") ? true : undefined),
    180_000,
    200,
  );
}

/** Waits (up to 2 minutes) until the web app on `port` answers its health check. */
export function webHealthy(port: number): Promise<true> {
  return waitFor(
    async () => {
      const health = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => undefined);
      return health?.ok ? true : undefined;
    },
    120_000,
    500,
  );
}

/** A running `npm run dev` of a test: its ports, its environment and the process. */
export interface RunningDev {
  ports: DevPorts;
  env: NodeJS.ProcessEnv;
  dev: ReturnType<typeof runNpm>;
}

/**
 * Starts `npm run dev` on fresh ports and state (its environment plus `extraEnv`), runs `body` once it
 * says it is running, then stops it and expects nothing it started to be left.
 */
export async function withDevRunning(
  extraEnv: Record<string, string>,
  body: (running: RunningDev) => Promise<void>,
): Promise<void> {
  const { stateDir, ports, env } = await newDevSetup();
  const dev = runNpm(["run", "dev"], { ...env, ...extraEnv });
  try {
    await devRunning(dev.output);
    await body({ ports, env, dev });
  } finally {
    // Everything it started goes away: the ports close and no process carries its state dir.
    await stopDevAndExpectNothingLeft(dev.process, ports, stateDir);
  }
}
