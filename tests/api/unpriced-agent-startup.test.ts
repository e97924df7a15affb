import { spawn } from "node:child_process";
import path from "node:path";
import { expect, test } from "vitest";
import { freePort } from "../../dev/net.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

test("the app refuses to start with an agent whose price cannot be determined, naming the agent and the setting", async () => {
  const agents = [
    {
      name: "claw-main",
      transport: "openresponses",
      url: "http://127.0.0.1:9/openclaw",
      token: "t",
      model: "openclaw/main",
    },
  ];
  const child = spawn(
    path.join(root, "node_modules", ".bin", "next"),
    ["start", "--hostname", "127.0.0.1", "--port", String(await freePort())],
    {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: "production",
        AGENTS: JSON.stringify(agents),
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, 60_000);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  expect(code).not.toBe(0);
  expect(code).not.toBeNull();
  expect(output).toContain('agent "claw-main"');
  expect(output).toContain("AGENTS[0].price");
}, 90_000);
