import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../dev/net.ts";

const root = path.resolve(import.meta.dirname, "../..");
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
});

/** Keeps reading stdout (a closed pipe would make the child's next log fail) until `pattern` shows. */
function waitForOutput(process: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    process.stdout!.on("data", (chunk) => {
      output += String(chunk);
      if (pattern.test(output)) resolve(output);
    });
    process.once("exit", () => reject(new Error(`process ended before printing ${pattern}: ${output}`)));
  });
}

describe("agent simulator CLI (dev/agent-sim/main.ts)", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "listens on AGENT_SIM_PORT, prints its URL and stops cleanly on %s",
    async (signal) => {
      const port = await freePort();
      child = spawn(path.join(root, "node_modules/.bin/tsx"), ["dev/agent-sim/main.ts"], {
        cwd: root,
        env: { ...process.env, AGENT_SIM_PORT: String(port) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const output = await waitForOutput(child, /listening at/);
      expect(output).toContain(`http://127.0.0.1:${port}`);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = await exited;
      expect(code).toBe(0);
    },
  );
});
