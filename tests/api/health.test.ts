import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type LocalPostgres, startLocalPostgres } from "../../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../../dev/db/migrate.ts";
import { freePort } from "../../dev/net.ts";
import { whilePaused } from "../support/pause-postgres.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

// This file freezes Postgres (SIGSTOP), so it runs its own cluster, never the suite's shared one.
const ALICE = "a11ce000-0000-4000-8000-000000000001";
let root: string;
let pg: LocalPostgres;
let stack: TestStack;
let sql: postgres.Sql;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "overtime-health-"));
  pg = await startLocalPostgres({ dataDir: path.join(root, "pg"), port: await freePort(), persistent: true });
  await migrateLocalDatabase(pg.url);
  await seedLocalDatabase(pg.url);
  stack = await startTestStack({ databaseUrl: pg.url });
  sql = postgres(pg.url, { max: 1, onnotice: () => {} });
}, 120_000);

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await stack?.close();
  await pg?.stop();
  await rm(root, { recursive: true, force: true });
});

/** GET /api/health; a request the server never answers fails the test instead of hanging it. */
async function health(): Promise<{ status: number; type: string | null; body: unknown }> {
  const response = await fetch(`${stack.appUrl}/api/health`, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, type: response.headers.get("content-type"), body: await response.json() };
}

test("GET /api/health lists the sessions waiting for a runner that knows their agent", async () => {
  expect(await health()).toMatchObject({ status: 200, body: { ok: true, waitingForAgent: [] } });
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  await sql`
    insert into sessions (user_id, conversation_id, agent, status, epoch, lease_expires_at)
    select ${ALICE}, ${conversation!.id}, 'retired-agent', 'background', 1, now() + interval '1 minute'
    from generate_series(1, 2)`;
  expect(await health()).toMatchObject({
    status: 200,
    body: { ok: true, waitingForAgent: [{ agent: "retired-agent", sessions: 2 }] },
  });
});

test("GET /api/health answers 503 service_unavailable:database while Postgres is paused, and 200 once it is back", async () => {
  const paused = await whilePaused(path.join(root, "pg"), health);
  expect(paused.status).toBe(503);
  expect(paused.type).toContain("application/json");
  expect(paused.body).toMatchObject({ code: "service_unavailable:database" });
  expect((await health()).status).toBe(200);
}, 60_000);
