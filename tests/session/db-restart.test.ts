import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { type AgentSimulator, startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { type LocalPostgres, startLocalPostgres } from "../../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../../dev/db/migrate.ts";
import { freePort } from "../../dev/net.ts";
import { getAgent } from "../../lib/agent/index.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { appendCheckpoint, readLogText } from "../../lib/db/session-log.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { parseEnv } from "../../lib/env.ts";
import { SessionFeed } from "../../lib/session/events.ts";
import { runSession } from "../../lib/session/run-session.ts";
import { waitFor } from "../support/api.ts";
import { storePorts } from "../support/runtime.ts";

// This file restarts Postgres mid-stream, so it runs its own cluster, never the suite's shared one.
let root: string;
let port: number;
let pg: LocalPostgres;
let simulator: AgentSimulator;
let sql: Sql;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "overtime-restart-"));
  port = await freePort();
  pg = await startLocalPostgres({ dataDir: path.join(root, "pg"), port, persistent: true });
  await migrateLocalDatabase(pg.url);
  await seedLocalDatabase(pg.url);
  simulator = await startAgentSimulator({ port: 0 });
  sql = createSql(pg.url, 4);
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await simulator?.close();
  await pg?.stop();
  await rm(root, { recursive: true, force: true });
});

test("a checkpoint write failure (Postgres restarted mid-stream) loses no byte once the database is back, and the live client stays within CHECKPOINT_BYTES of the log", async () => {
  const env = parseEnv(simulatorAgentsEnv(simulator.url));
  const seed = "restart";
  const message = `#sim tokens=600 rate=150 seed=${seed}`;
  const started = await startSession(sql, {
    userId: "a11ce000-0000-4000-8000-000000000001",
    message,
    agent: "sim-chat",
    mode: "live",
    status: "live",
    runner: "live",
    leaseOwner: "test",
    title: "restart",
    leaseSeconds: 60,
  });
  if (started === "not_found") throw new Error("unexpected");
  // The live client's lead: what it holds past what Postgres acknowledged as durable.
  const maxBytes = 256;
  let durable = 0;
  let held = 0;
  let maxLead = 0;
  let liveText = "";
  const feed = new SessionFeed();
  feed.subscribe((event) => {
    if (event.type !== "delta") return;
    liveText += event.text;
    held = event.offset;
    maxLead = Math.max(maxLead, held - durable);
  });
  const run = runSession({
    ports: storePorts(sql, {
      log: async (write) => {
        const result = await appendCheckpoint(sql, write);
        if (result !== "fenced") durable = write.startOffset + Buffer.byteLength(write.text);
        return result;
      },
    }),
    feed,
    sessionId: started.sessionId,
    epoch: started.epoch,
    agent: getAgent(env, "sim-chat"),
    request: { messages: [{ role: "user", content: message }] },
    startOffset: 0,
    signal: new AbortController().signal,
    checkpoint: { intervalMs: 100, maxBytes, leaseSeconds: 60 },
  });
  // Let some output become durable, then take the database away until a checkpoint write has
  // failed, and bring it back.
  await waitFor(
    async () => {
      const [row] = await sql`select durable_offset from sessions where id = ${started.sessionId}`;
      return Number(row?.durable_offset) > 0 ? true : undefined;
    },
    30_000,
    25,
  );
  const writeFailed = vi.spyOn(console, "error");
  await pg.stop();
  await waitFor(
    async () => {
      const failed = writeFailed.mock.calls.some((call) =>
        String(call[0]).includes("checkpoint write failed"),
      );
      return failed ? true : undefined;
    },
    30_000,
    25,
  );
  writeFailed.mockRestore();
  pg = await startLocalPostgres({ dataDir: path.join(root, "pg"), port, persistent: true });
  const outcome = await run;
  expect(outcome.kind).toBe("completed");
  expect(await readLogText(sql, started.sessionId)).toBe(simulatedText(seed, 600));
  expect(liveText).toBe(simulatedText(seed, 600));
  expect(held).toBe(Buffer.byteLength(liveText));
  expect(maxLead).toBeLessThanOrEqual(maxBytes);
  const [row] = await sql`select status from sessions where id = ${started.sessionId}`;
  expect(row?.status).toBe("completed");
});
