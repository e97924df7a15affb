// Installs dependencies (exact versions from package-lock.json) when node_modules does not match the lock.
// Runs under whatever Node the machine has (it may still be the system Node on a fresh clone);
// after it, every `npm run` step finds Node 24 from the `node` dev dependency first on its PATH.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const lockFile = path.join(root, "package-lock.json");
const stampFile = path.join(root, "node_modules", ".overtime-installed");

const hashLock = () => createHash("sha256").update(readFileSync(lockFile)).digest("hex");
const installed = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";

if (installed !== hashLock()) {
  console.log("[overtime] installing dependencies…");
  const result = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: root,
    stdio: "inherit",
    env: process.env,
  });
  if (result.status !== 0) {
    console.error("[overtime] npm install failed; see the output above.");
    process.exit(result.status ?? 1);
  }
  // npm may rewrite the lock (metadata only); stamp what is on disk now. Written to a new file and
  // renamed, so a node_modules hard-linked from another checkout never sees this checkout's stamp.
  writeFileSync(`${stampFile}.${process.pid}`, `${hashLock()}\n`);
  renameSync(`${stampFile}.${process.pid}`, stampFile);
}
