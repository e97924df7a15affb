// `npm test` after lint and type-check: builds the Next.js app once (the tests run it with
// `next start`), then runs every vitest suite. The suite starts its own embedded Postgres.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const report = path.join(root, ".state", "vitest-report.json");

function run(command: string, args: string[]): number {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  return result.status ?? 1;
}

if (run(bin("next"), ["build"]) !== 0) process.exit(1);
mkdirSync(path.dirname(report), { recursive: true });
const status = run(bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
try {
  const { numPassedTests, numFailedTests } = JSON.parse(readFileSync(report, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
  };
  // A closing line any CI can read, whatever the runner.
  console.log(`vitest: ${numPassedTests} passed, ${numFailedTests} failed`);
} catch {
  console.log("vitest: no report was written");
}
process.exit(status);
