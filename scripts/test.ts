// `npm test` after lint and type-check: installs the system packages the suites need (Chromium, nginx),
// builds the Next.js app once (the tests run it with `next start`), then runs every vitest suite.
// The suite starts its own embedded Postgres. `--no-build` skips the build; other arguments go to
// vitest.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { chromiumPath } from "../tests/support/chromium.ts";
import { nginxPath } from "../tests/support/nginx.ts";
import { ensureDebianPackages } from "./ensure-debian-packages.ts";
import { summariseVitestRun } from "./vitest-summary.ts";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
// One report per run, so a concurrent or earlier run's report is never read as this one's.
const report = path.join(root, ".state", `vitest-report-${process.pid}.json`);

function run(command: string, args: string[]): number {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  return result.status ?? 1;
}

const args = process.argv.slice(2);
ensureDebianPackages([
  { command: chromiumPath(), package: "chromium" },
  { command: nginxPath(), package: "nginx" },
]);
if (!args.includes("--no-build") && run(bin("next"), ["build"]) !== 0) process.exit(1);
mkdirSync(path.dirname(report), { recursive: true });
const exitCode = run(bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...args.filter((arg) => arg !== "--no-build"),
]);
let reportText: string | undefined;
try {
  reportText = readFileSync(report, "utf8");
} catch {
  // vitest stopped before writing it (e.g. the global set-up failed); summarised as a failure.
}
rmSync(report, { force: true });
const summary = summariseVitestRun(exitCode, reportText);
// A closing line any CI can read, whatever the runner.
console.log(summary.line);
process.exit(summary.ok ? 0 : 1);
