import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { type LocalPostgres, startLocalPostgres } from "../../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../../dev/db/migrate.ts";
import { freePort } from "../../dev/net.ts";
import { parseCursor } from "../../lib/session/wire.ts";
import { api, readSse, type SseEvent, signIn, textOfDeltas, waitFor } from "../support/api.ts";
import { clusterPids, whilePaused } from "../support/pause-postgres.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

// This file freezes Postgres (SIGSTOP), so it runs its own cluster, never the suite's shared one.
const AGENTS = ["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"];
const TOKENS = 1200;
const RATE = 60;
const PAUSE_MS = 10_000;

let root: string;
let pg: LocalPostgres;
let stack: TestStack;
let sql: postgres.Sql;
let alice: ReturnType<typeof api>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "overtime-pause-"));
  pg = await startLocalPostgres({ dataDir: path.join(root, "pg"), port: await freePort(), persistent: true });
  await migrateLocalDatabase(pg.url);
  await seedLocalDatabase(pg.url);
  stack = await startTestStack({ databaseUrl: pg.url, env: { MAX_LIVE_SESSIONS_PER_USER: "10" } });
  await stack.startWorker();
  sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  alice = api(stack.appUrl, await signIn(stack.supabaseUrl, "alice@example.com"));
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await stack?.close();
  await pg?.stop();
  await rm(root, { recursive: true, force: true });
});

/** Freezes the whole cluster for `ms`: connections stay open, every query just hangs. */
async function pauseDatabase(ms: number): Promise<void> {
  expect(clusterPids(path.join(root, "pg")).length).toBeGreaterThan(1);
  await whilePaused(path.join(root, "pg"), () => new Promise((resolve) => setTimeout(resolve, ms)));
}

/** The byte offsets in the deltas' `id`s, in order; each must be larger than the one before. */
function expectIdsGrow(events: SseEvent[]): void {
  const offsets = events
    .filter((event) => event.event === "delta")
    .map((event) => parseCursor(event.id ?? "")?.offset ?? Number.NaN);
  expect(offsets.length).toBeGreaterThan(0);
  for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]!);
}

test("Postgres frozen for 10 s under live and background sessions of every agent: no byte lost, ids never go back", async () => {
  const start = async (agent: string, mode: "live" | "background") => {
    const seed = `pause-${mode}-${agent}`;
    const response = await alice.chat({
      message: `#sim tokens=${TOKENS} rate=${RATE} seed=${seed}`,
      agent,
      mode,
    });
    expect(response.status).toBe(mode === "live" ? 200 : 202);
    if (mode === "live") return { agent, seed, events: readAll(response) };
    const { sessionId } = (await response.json()) as { sessionId: string };
    return { agent, seed, events: alice.stream(sessionId, "?offset=0").then(readAll) };
  };
  const started = await Promise.all(
    AGENTS.flatMap((agent) => [start(agent, "live"), start(agent, "background")]),
  );
  // Wait until every session has landed a checkpoint, then freeze the database mid-stream.
  await waitFor(
    async () => {
      const [row] = await sql`select count(*)::int as n from sessions where durable_offset > 0`;
      return row!.n >= started.length ? true : undefined;
    },
    30_000,
    50,
  );
  await pauseDatabase(PAUSE_MS);

  const runs = await Promise.all(started.map(async (run) => ({ ...run, events: await run.events })));
  for (const { agent, seed, events } of runs) {
    const sessionId = JSON.parse(events[0]!.data).sessionId as string;
    expect({ agent, last: events.at(-1)?.event }).toEqual({ agent, last: "done" });
    expectIdsGrow(events);
    const truth = simulatedText(seed, TOKENS);
    expect({ agent, text: textOfDeltas(events) }).toEqual({ agent, text: truth });
    expect({ agent, log: await logText(sessionId) }).toEqual({ agent, log: truth });
  }
}, 120_000);

/** The whole stream; a connection cut by the server ends it with a `reader_error` event to assert on. */
function readAll(response: Response): Promise<SseEvent[]> {
  return readSse(response).catch((error: unknown) => [{ event: "reader_error", data: String(error) }]);
}

async function logText(sessionId: string): Promise<string> {
  const [row] = await sql<{ text: string | null }[]>`
    select string_agg(text, '' order by start_offset) as text from session_chunks where session_id = ${sessionId}`;
  return row?.text ?? "";
}
