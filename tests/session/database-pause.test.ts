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
// A live client may be at most CHECKPOINT_BYTES past the durable log (DESIGN §4); small here, so that
// 10 s of output (about 3 KB per session) would break it.
const CHECKPOINT_BYTES = 512;

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
  stack = await startTestStack({
    databaseUrl: pg.url,
    env: { MAX_LIVE_SESSIONS_PER_USER: "10", CHECKPOINT_BYTES: String(CHECKPOINT_BYTES) },
  });
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

/**
 * Freezes the whole cluster for `ms`: connections stay open, every query just hangs. Returns what
 * `atResume` says at the end of the freeze, before the cluster is thawed.
 */
async function pauseDatabase<T>(ms: number, atResume: () => T): Promise<T> {
  expect(clusterPids(path.join(root, "pg")).length).toBeGreaterThan(1);
  return whilePaused(path.join(root, "pg"), async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return atResume();
  });
}

/**
 * Where the sessions' logs end, held there while `during` runs: their rows are locked (FOR UPDATE),
 * so no checkpoint of theirs commits meanwhile (a checkpoint updates the row first) and the offsets
 * read under the lock stay the logs' ends until `during` is over. Compacting a finished session's
 * log rewrites its rows, so the log's end at a moment cannot be read from them afterwards.
 */
async function withLogEndsHeld<T>(ids: string[], during: (logEnds: Map<string, number>) => Promise<T>) {
  return sql.begin(async (tx) => {
    const rows = await tx<{ id: string; durable_offset: string }[]>`
      select id, durable_offset from sessions where id = any(${tx.array(ids)}::uuid[]) for update`;
    expect(rows).toHaveLength(ids.length);
    return during(new Map(rows.map((row) => [row.id, Number(row.durable_offset)])));
  });
}

/** The byte offsets in the deltas' `id`s, in order; each must be larger than the one before. */
function expectIdsGrow(events: SseEvent[]): void {
  const offsets = events
    .filter((event) => event.event === "delta")
    .map((event) => parseCursor(event.id ?? "")?.offset ?? Number.NaN);
  expect(offsets.length).toBeGreaterThan(0);
  for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]!);
}

test("Postgres frozen for 10 s under live and background sessions of every agent: no byte lost, ids never go back, live clients within CHECKPOINT_BYTES of the log", async () => {
  const start = async (agent: string, mode: "live" | "background") => {
    const seed = `pause-${mode}-${agent}`;
    // The live client's session and the offset after the last delta it got (the bytes it holds).
    const client = { sessionId: "", held: 0 };
    const track = (event: SseEvent) => {
      if (event.event === "session") client.sessionId = JSON.parse(event.data).sessionId as string;
      if (event.event === "delta") client.held = parseCursor(event.id ?? "")?.offset ?? Number.NaN;
      return false;
    };
    const response = await alice.chat({
      message: `#sim tokens=${TOKENS} rate=${RATE} seed=${seed}`,
      agent,
      mode,
    });
    expect(response.status).toBe(mode === "live" ? 200 : 202);
    if (mode === "live") return { agent, seed, client, events: readAll(response, track) };
    const { sessionId } = (await response.json()) as { sessionId: string };
    return { agent, seed, events: alice.stream(sessionId, "?offset=0").then(readAll) };
  };
  const started = await Promise.all(
    AGENTS.flatMap((agent) => [start(agent, "live"), start(agent, "background")]),
  );
  const clients = started.flatMap(({ agent, client }) => (client ? [{ agent, client }] : []));
  // Wait until every session has landed a checkpoint, then freeze the database mid-stream.
  await waitFor(
    async () => {
      const [row] = await sql`select count(*)::int as n from sessions where durable_offset > 0`;
      return row!.n >= started.length && clients.every(({ client }) => client.sessionId) ? true : undefined;
    },
    30_000,
    50,
  );
  // What each live client holds at the end of the freeze, against where its session's log ends.
  const leads = await withLogEndsHeld(
    clients.map(({ client }) => client.sessionId),
    (logEnds) =>
      pauseDatabase(PAUSE_MS, () =>
        clients.map(({ agent, client }) => ({
          agent,
          held: client.held,
          logEnd: logEnds.get(client.sessionId)!,
        })),
      ),
  );

  const runs = await Promise.all(started.map(async (run) => ({ ...run, events: await run.events })));
  for (const { agent, seed, events } of runs) {
    const sessionId = JSON.parse(events[0]!.data).sessionId as string;
    expect({ agent, last: events.at(-1)?.event }).toEqual({ agent, last: "done" });
    expectIdsGrow(events);
    const truth = simulatedText(seed, TOKENS);
    expect({ agent, text: textOfDeltas(events) }).toEqual({ agent, text: truth });
    expect({ agent, log: await logText(sessionId) }).toEqual({ agent, log: truth });
  }
  expect(leads).toHaveLength(AGENTS.length);
  for (const { agent, held, logEnd } of leads) {
    // The runner went on reading its agent during the freeze: its client ran ahead of the log...
    expect(held, `${agent}: the live client got nothing past the log`).toBeGreaterThan(logEnd);
    // ...by at most CHECKPOINT_BYTES.
    expect(held - logEnd, `${agent}: bytes a live client held past the log`).toBeLessThanOrEqual(
      CHECKPOINT_BYTES,
    );
  }
}, 120_000);

/** The whole stream; a connection cut by the server ends it with a `reader_error` event to assert on. */
function readAll(response: Response, until?: (event: SseEvent) => boolean): Promise<SseEvent[]> {
  return readSse(response, { until }).catch((error: unknown) => [
    { event: "reader_error", data: String(error) },
  ]);
}

async function logText(sessionId: string): Promise<string> {
  const [row] = await sql<{ text: string | null }[]>`
    select string_agg(text, '' order by start_offset) as text from session_chunks where session_id = ${sessionId}`;
  return row?.text ?? "";
}
