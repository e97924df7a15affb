// lib/session is the core (the runner, its checkpointer, metering, seam joiner, wire contract and
// pure policy) plus its entry points, which wire the core to a process's runtime. The core takes its
// I/O as the ports of lib/session/ports.ts and never imports an adapter (issue 17, point 2).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";

const dir = path.resolve(import.meta.dirname, "../../lib/session");

/** Entry points: they read and write through lib/db and the runtime, and call the core. */
const ENTRY_POINTS = new Set([
  "agent-request.ts",
  "background.ts",
  "cancel.ts",
  "control.ts",
  "health.ts",
  "live.ts",
  "log-retention.ts",
  "read-log.ts",
  "reconcile.ts",
  "session-stream.ts",
  "shutdown.ts",
  "snapshot.ts",
  "start-chat.ts",
  "watch.ts",
  "worker.ts",
]);

/** What a core file must not import: the adapters and the process's composition. */
const ADAPTERS = /from "\.\.\/(db|realtime|jobs|notify|runtime|ds)\/|from "\.\.\/env\.ts"/;

test("no core file of lib/session imports an adapter (lib/db, lib/realtime, …) or the runtime", () => {
  const core = readdirSync(dir).filter((file) => file.endsWith(".ts") && !ENTRY_POINTS.has(file));
  expect(core).toContain("run-session.ts");
  expect(core).toContain("ports.ts");
  const offending = core.filter((file) => ADAPTERS.test(readFileSync(path.join(dir, file), "utf8")));
  expect(offending).toEqual([]);
});
