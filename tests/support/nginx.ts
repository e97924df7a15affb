import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { freePort } from "../../dev/net.ts";
import { stopService } from "../../dev/stack.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
/** The configuration docs/deploy.md prints, exactly as shipped. */
export const SHIPPED_CONF = path.join(root, "deploy", "nginx", "overtime.conf");

/** Debian's nginx (`npm test` installs it, as it installs Chromium), or NGINX_PATH on other systems. */
export function nginxPath(): string {
  return process.env.NGINX_PATH ?? "/usr/sbin/nginx";
}

/** The shipped server block, pointed at the test's app and listening on a free port; nothing else changed. */
export async function shippedConf(appPort: number, listenPort: number): Promise<string> {
  const text = await readFile(SHIPPED_CONF, "utf8");
  const pointed = text
    .replaceAll("127.0.0.1:3000", `127.0.0.1:${appPort}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${listenPort};`);
  if (pointed === text) throw new Error("overtime.conf no longer names 127.0.0.1:3000 and port 8080");
  return pointed;
}

export interface RunningNginx {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground with its own prefix in a temp dir: `serverBlock` inside an `http { }`
 * that sets nothing else except `httpExtra` (e.g. `gzip on;`), so what is tested is nginx's defaults
 * plus the given configuration.
 */
export async function startNginx(
  serverBlock: (listenPort: number) => Promise<string> | string,
  httpExtra = "",
): Promise<RunningNginx> {
  const binary = nginxPath();
  const prefix = await mkdtemp(path.join(tmpdir(), "overtime-nginx-"));
  for (const dir of ["logs", "temp"]) await mkdir(path.join(prefix, dir));
  const port = await freePort();
  const temp = (name: string) => `${name}_temp_path ${path.join(prefix, "temp", name)};`;
  const conf = [
    "daemon off;",
    "worker_processes 1;",
    // As root, nginx would hand its worker to `nobody`, who cannot write our temp dir.
    userInfo().uid === 0 ? "user root;" : "",
    `pid ${path.join(prefix, "nginx.pid")};`,
    `error_log ${path.join(prefix, "logs", "error.log")} warn;`,
    "events { worker_connections 512; }",
    "http {",
    "  access_log off;",
    `  ${temp("client_body")} ${temp("proxy")} ${temp("fastcgi")} ${temp("uwsgi")} ${temp("scgi")}`,
    `  ${httpExtra}`,
    `  include ${path.join(prefix, "server.conf")};`,
    "}",
  ].join("\n");
  await writeFile(path.join(prefix, "server.conf"), await serverBlock(port));
  await writeFile(path.join(prefix, "nginx.conf"), conf);
  const child: ChildProcess = spawn(
    binary,
    ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-e", path.join(prefix, "logs", "error.log")],
    {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async () => {
    await stopService(child);
    await rm(prefix, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = await readFile(path.join(prefix, "logs", "error.log"), "utf8").catch(() => "");
      await stop();
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${log}`);
    }
    try {
      await fetch(`${url}/api/health`);
      return { url, port, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error("nginx did not listen within 15 s");
}
