import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { waitFor } from "../support/api.ts";
import { devEnv, devPorts, stopDevAndExpectNothingLeft } from "../support/dev-process.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

test("npm run dev starts the whole product on its ports, signs Alice in, and SIGTERM to its pid leaves no process", {
  timeout: 240_000,
}, async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), "overtime-dev-test-"));
  const ports = await devPorts();
  const env = devEnv(ports, stateDir);
  const dev = spawn("npm", ["run", "dev"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  dev.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  dev.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await waitFor(
      async () => (output.includes("Overtime is running locally") ? true : undefined),
      180_000,
      200,
    );
    for (const line of [
      `http://127.0.0.1:${ports.web}`,
      `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
      `http://127.0.0.1:${ports.supabase}/auth/v1`,
      `http://127.0.0.1:${ports.sim}`,
      `http://127.0.0.1:${ports.inbox}`,
      "alice@example.com / overtime-dev",
      "bob@example.com / overtime-dev",
    ]) {
      expect(output).toContain(line);
    }
    await waitFor(
      async () => {
        const health = await fetch(`http://127.0.0.1:${ports.web}/api/health`).catch(() => undefined);
        return health?.ok ? true : undefined;
      },
      120_000,
      500,
    );

    // The README's curl, then the API with the token it returns.
    const token = await fetch(`http://127.0.0.1:${ports.supabase}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "alice@example.com", password: "overtime-dev" }),
    }).then((response) => response.json() as Promise<{ access_token: string }>);
    const sessions = await fetch(`http://127.0.0.1:${ports.web}/api/sessions`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(sessions.status).toBe(200);
    expect(await sessions.json()).toEqual([]);
    const tampered = await fetch(`http://127.0.0.1:${ports.web}/api/sessions`, {
      headers: { authorization: `Bearer ${token.access_token}x` },
    });
    expect(tampered.status).toBe(401);
    expect(output).toContain("local worker started");
    // The inbox is up, with the Telegram webhook already registered for the web app.
    const inbox = await fetch(`http://127.0.0.1:${ports.inbox}/api/messages`);
    expect(await inbox.json()).toEqual([]);
  } finally {
    // Everything it started goes away: the ports close and no process carries its state dir.
    await stopDevAndExpectNothingLeft(dev, ports, stateDir);
  }
});
