import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { expect, test } from "vitest";
import { freePort } from "../../dev/net.ts";
import { devPostgresDir } from "../../dev/stack.ts";
import { waitFor } from "../support/api.ts";
import { devPorts } from "../support/dev-process.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * A fresh clone of the committed HEAD in a new private (0700) folder, like `git clone … ~/overtime`
 * as root. node_modules is hard-linked in (fast, no download) so every package, the PostgreSQL
 * binaries included, resolves inside the private folder exactly as after `npm install` there.
 */
async function privateClone(): Promise<{ home: string; clone: string }> {
  const home = await mkdtemp(path.join(tmpdir(), "overtime-private-"));
  const clone = path.join(home, "overtime");
  execFileSync("git", ["clone", "--quiet", root, clone]);
  execFileSync("cp", ["-al", path.join(root, "node_modules"), path.join(clone, "node_modules")]);
  return { home, clone };
}

function startDev(cwd: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DEV_WORKER: "0", ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.APP_URL;
  const child = spawn(path.join(cwd, "node_modules", ".bin", "tsx"), ["scripts/dev.ts"], {
    cwd,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, output: () => `${stdout}\n--- stderr ---\n${stderr}` };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

test("a clone in a private 0700 folder starts embedded Postgres and applies the migrations", {
  timeout: 300_000,
}, async () => {
  const { home, clone } = await privateClone();
  expect((await stat(home)).mode & 0o777).toBe(0o700);
  const ports = await devPorts();
  // Started from the clone with its default state folder (.state inside the private folder).
  const dev = startDev(clone, {
    PORT: String(ports.web),
    POSTGRES_PORT: String(ports.db),
    SUPABASE_URL: `http://127.0.0.1:${ports.supabase}`,
    AGENT_SIM_URL: `http://127.0.0.1:${ports.sim}`,
    INBOX_PORT: String(ports.inbox),
  });
  try {
    await waitFor(
      async () => {
        if (dev.child.exitCode !== null) throw new Error(`npm run dev exited:\n${dev.output()}`);
        return dev.output().includes("Overtime is running locally") ? true : undefined;
      },
      240_000,
      250,
    );
    const sql = postgres(`postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`, { max: 1 });
    try {
      const applied = await sql<{ version: string }[]>`
        select version from supabase_migrations.schema_migrations order by version`;
      const files = (await readdir(path.join(clone, "supabase", "migrations"))).filter((file) =>
        file.endsWith(".sql"),
      );
      expect(applied.map((row) => row.version)).toEqual(files.map((file) => file.split("_")[0]).sort());
      const [alice] = await sql`select email from auth.users where email = 'alice@example.com'`;
      expect(alice).toBeDefined();
    } finally {
      await sql.end();
    }
  } finally {
    dev.child.kill("SIGTERM");
    await exited(dev.child);
    await rm(path.dirname(devPostgresDir(path.join(clone, ".state"))), { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }
});

test("a start-up failure of the embedded database is one line saying what to do", {
  timeout: 120_000,
}, async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), "overtime-dev-port-"));
  const taken = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", resolve));
  const dev = startDev(root, {
    POSTGRES_PORT: String(port),
    OVERTIME_STATE_DIR: stateDir,
    PORT: String(await freePort()),
    SUPABASE_URL: `http://127.0.0.1:${await freePort()}`,
    AGENT_SIM_URL: `http://127.0.0.1:${await freePort()}`,
  });
  try {
    expect(await exited(dev.child)).toBe(1);
    const stderr = dev.output().split("--- stderr ---\n")[1];
    expect(stderr).toBe(
      `[dev] could not start: Embedded PostgreSQL could not start: port ${port} is already in use; stop whatever listens there or choose another port (npm run dev: set POSTGRES_PORT)\n`,
    );
  } finally {
    dev.child.kill("SIGTERM");
    await new Promise((resolve) => taken.close(resolve));
    await rm(stateDir, { recursive: true, force: true });
  }
});
