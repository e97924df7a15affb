// `npm test` after lint and type-check: builds the Next.js app once (the tests run it with
// `next start`), then runs every vitest suite. The suite starts its own embedded Postgres.
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(bin("next"), ["build"]);
run(bin("vitest"), ["run", ...process.argv.slice(2)]);
