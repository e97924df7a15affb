import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { spawnService, stopService } from "../../dev/stack.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

/** One `npm run worker` process against the test stack, as `npm run dev` starts one. */
export function startLocalWorkerProcess(env: Record<string, string>): { stop(): Promise<void> } {
  const child: ChildProcess = spawnService(
    "worker",
    path.join(root, "node_modules", ".bin", "tsx"),
    [path.join(root, "scripts", "worker.ts")],
    { ...process.env, ...env },
  );
  return { stop: () => stopService(child) };
}
