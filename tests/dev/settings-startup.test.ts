import { spawn } from "node:child_process";
import path from "node:path";
import { expect, test } from "vitest";
import { freePort } from "../../dev/net.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

/** Runs `next start` with `env` and returns how it exited and what it printed, or "running" after 30 s. */
async function startWith(
  env: Record<string, string>,
): Promise<{ code: number | null | "running"; output: string }> {
  const child = spawn(
    path.join(root, "node_modules", ".bin", "next"),
    ["start", "--hostname", "127.0.0.1", "--port", String(await freePort())],
    {
      cwd: root,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null | "running">((resolve) => {
    const timer = setTimeout(() => resolve("running"), 30_000);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (code === "running") process.kill(-child.pid!, "SIGKILL");
  return { code, output };
}

test("the app refuses to start, with a sentence naming both, when LIVE_BUDGET_SECONDS does not fit maxDuration", async () => {
  const { code, output } = await startWith({ LIVE_BUDGET_SECONDS: "790" });
  expect(code).toBe(1);
  expect(output).toMatch(/LIVE_BUDGET_SECONDS \(790\) does not fit the live route's maxDuration \(800 s/);
});

test("the app refuses to start when its LISTEN would go through Supabase's transaction pooler", async () => {
  const { code, output } = await startWith({
    DATABASE_URL: "postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
  });
  expect(code).toBe(1);
  expect(output).toMatch(/transaction-pooler URL .*cannot LISTEN: set DATABASE_LISTEN_URL/);
});
