import path from "node:path";
import { expect, test } from "vitest";
import { freePort } from "../../dev/net.ts";
import { runCommand } from "../support/run-command.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

/** Runs `next start` with `env`; a correct refusal exits long before the 30 s timeout. */
async function startWith(
  env: Record<string, string>,
): Promise<{ code: number | null | "timeout"; output: string }> {
  const result = await runCommand(
    path.join(root, "node_modules", ".bin", "next"),
    ["start", "--hostname", "127.0.0.1", "--port", String(await freePort())],
    { cwd: root, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env }, timeoutMs: 30_000 },
  );
  return { code: result.code, output: result.stdout + result.stderr };
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

test("the app and npm run worker refuse to start, naming AGENTS, when AGENTS lists no agent", async () => {
  const web = await startWith({ AGENTS: "[]" });
  expect(web.code).toBe(1);
  expect(web.output).toMatch(/AGENTS is invalid: \(root\): lists no agent/);
  const worker = await runCommand("npm", ["run", "worker"], {
    cwd: root,
    env: { ...process.env, AGENTS: "[]" },
    timeoutMs: 60_000,
  });
  expect(worker.code).toBe(1);
  expect(worker.stderr).toMatch(/\[worker\] could not start: .*AGENTS is invalid: \(root\): lists no agent/);
});
