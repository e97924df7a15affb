import { spawn } from "node:child_process";

export interface CommandRun {
  /** The exit code, or "timeout" when it was still running after `timeoutMs` (it is then killed). */
  code: number | null | "timeout";
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or `timeoutMs`), collecting what it prints. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          // Its whole process group: a command may have started children of its own.
          process.kill(-child.pid!, "SIGKILL");
        }, options.timeoutMs)
      : undefined;
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? "timeout" : code, stdout, stderr });
    });
  });
}
