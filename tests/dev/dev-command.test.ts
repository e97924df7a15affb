import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { waitFor } from "../support/api.ts";
import { freeDevPorts } from "../support/dev-ports.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Processes whose command line mentions `needle` (the state dir marks everything dev started). */
function processesMentioning(needle: string): number[] {
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

test("npm run dev starts the whole product on its ports, signs Alice in, and SIGTERM to its pid leaves no process", {
  timeout: 240_000,
}, async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), "overtime-dev-test-"));
  const ports = await freeDevPorts();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(ports.web),
    POSTGRES_PORT: String(ports.db),
    SUPABASE_URL: `http://127.0.0.1:${ports.supabase}`,
    AGENT_SIM_URL: `http://127.0.0.1:${ports.sim}`,
    INBOX_PORT: String(ports.inbox),
    OVERTIME_STATE_DIR: stateDir,
  };
  delete env.DATABASE_URL;
  delete env.APP_URL;
  const dev = spawn("npm", ["run", "dev"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  dev.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  dev.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await waitFor(
      async () => (output.includes("Overtime is running locally") ? true : undefined),
      180_000,
      200,
    );
    for (const line of [
      `http://127.0.0.1:${ports.web}`,
      `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
      `http://127.0.0.1:${ports.supabase}/auth/v1`,
      `http://127.0.0.1:${ports.sim}`,
      `http://127.0.0.1:${ports.inbox}`,
      "alice@example.com / overtime-dev",
      "bob@example.com / overtime-dev",
    ]) {
      expect(output).toContain(line);
    }
    await waitFor(
      async () => {
        const health = await fetch(`http://127.0.0.1:${ports.web}/api/health`).catch(() => undefined);
        return health?.ok ? true : undefined;
      },
      120_000,
      500,
    );

    // The README's curl, then the API with the token it returns.
    const token = await fetch(`http://127.0.0.1:${ports.supabase}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "alice@example.com", password: "overtime-dev" }),
    }).then((response) => response.json() as Promise<{ access_token: string }>);
    const sessions = await fetch(`http://127.0.0.1:${ports.web}/api/sessions`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(sessions.status).toBe(200);
    expect(await sessions.json()).toEqual([]);
    const tampered = await fetch(`http://127.0.0.1:${ports.web}/api/sessions`, {
      headers: { authorization: `Bearer ${token.access_token}x` },
    });
    expect(tampered.status).toBe(401);
    expect(output).toContain("local worker started");
    // The inbox is up, with the Telegram webhook already registered for the web app.
    const inbox = await fetch(`http://127.0.0.1:${ports.inbox}/api/messages`);
    expect(await inbox.json()).toEqual([]);
  } finally {
    dev.kill("SIGTERM");
    await new Promise((resolve) => dev.once("exit", resolve));
    // Everything it started goes away: the ports close and no process carries its state dir.
    await waitFor(
      async () => {
        const open = await Promise.all(Object.values(ports).map(listening));
        return !open.some(Boolean) && processesMentioning(stateDir).length === 0 ? true : undefined;
      },
      30_000,
      250,
    ).finally(() => rm(stateDir, { recursive: true, force: true }));
  }
});
