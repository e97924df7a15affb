import { expect, test } from "vitest";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { claimNextSession } from "../../lib/db/session-lease.ts";
import { parseEnv } from "../../lib/env.ts";
import { type LocalWorker, startLocalWorker } from "../../lib/session/worker.ts";
import { waitFor } from "../support/api.ts";
import { testRuntime } from "../support/runtime.ts";
import { ALICE, sessionFixture } from "../support/session-fixture.ts";

const { sql, databaseUrl, simulatorUrl } = await sessionFixture();

/** `count` sessions waiting for a background runner (status background, nobody holds the lease). */
async function waitingSessions(count: number, message: string): Promise<string[]> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [prompt] = await sql`
    insert into messages (conversation_id, user_id, role, content)
    values (${conversation!.id}, ${ALICE}, 'user', ${message}) returning id`;
  const rows = await sql<{ id: string }[]>`
    insert into sessions (user_id, conversation_id, user_message_id, agent, title, status, epoch, lease_expires_at)
    select ${ALICE}, ${conversation!.id}, ${prompt!.id}, 'sim-chat', 'race', 'background', 1, now() + interval '1 hour'
    from generate_series(1, ${count})
    returning id`;
  return rows.map((row) => row.id);
}

/** The settings of a worker that runs the simulator's agents. */
const workerEnv = () =>
  parseEnv({ DATABASE_URL: databaseUrl, ...simulatorAgentsEnv(simulatorUrl()), LEASE_SECONDS: "30" });

/** Waits until every session completed; their epochs (1 → 2: each claimed once). */
async function epochsOnceCompleted(ids: string[]): Promise<number[]> {
  const rows = await waitFor(async () => {
    const found = await sql<{ status: string; epoch: number }[]>`
      select status, epoch from sessions where id = any(${sql.array(ids)}::uuid[])`;
    return found.every((row) => row.status === "completed") ? found : undefined;
  }, 30_000);
  return rows.map((row) => row.epoch);
}

test("claims racing on separate connections each take a different session in one statement: none is missed or taken twice", async () => {
  const callers = 8;
  const perCaller = 15;
  const ids = await waitingSessions(callers * perCaller, "#sim tokens=3 rate=0");
  const pools: Sql[] = Array.from({ length: callers }, () => createSql(databaseUrl, 1));
  try {
    const options = {
      runner: "worker" as const,
      owner: "race",
      leaseSeconds: 30,
      detachableAgents: [],
      knownAgents: ["sim-chat"],
    };
    const results = await Promise.all(
      pools.map(async (pool) => {
        const claimed: (string | null)[] = [];
        for (let i = 0; i < perCaller; i++) claimed.push((await claimNextSession(pool, options))?.id ?? null);
        return claimed;
      }),
    );
    const claimed = results.flat();
    // As many claims as sessions: with a two-step find-then-claim, racers find the same row and miss.
    expect(claimed.filter((id) => id === null)).toEqual([]);
    expect(new Set(claimed)).toEqual(new Set(ids));
    const epochs = await sql<
      { epoch: number }[]
    >`select epoch from sessions where id = any(${sql.array(ids)}::uuid[])`;
    expect(epochs.every((row) => row.epoch === 2)).toBe(true);
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
});

test("several workers over many waiting sessions: each runs every session it claims exactly once, with no sweep", async () => {
  const ids = await waitingSessions(40, "#sim tokens=3 rate=0 seed=race");
  const env = workerEnv();
  const workers: LocalWorker[] = [];
  try {
    // The sweep (the local reconciler) is an hour away: only the claim loop itself can pick them up.
    for (let i = 0; i < 4; i++)
      workers.push(await startLocalWorker({ runtime: testRuntime(sql, env), reconcileMs: 3_600_000 }));
    // Claimed once: epoch 1 → 2, never 3.
    expect(await epochsOnceCompleted(ids)).toEqual(ids.map(() => 2));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
});

test("a claim marks a seam at the durable offset for a connection-bound agent only", async () => {
  await sql`update sessions set status = 'completed' where status <> 'completed'`;
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const options = {
    runner: "worker" as const,
    owner: "seams",
    leaseSeconds: 30,
    detachableAgents: ["sim-openai-bg"],
    knownAgents: ["sim-openai-bg", "sim-chat"],
  };
  for (const [agent, seams] of [
    ["sim-openai-bg", []],
    ["sim-chat", [120]],
    ["sim-openai-bg", []],
    ["sim-chat", [120]],
  ] as const) {
    await sql`
      insert into sessions (user_id, conversation_id, agent, status, epoch, durable_offset)
      values (${ALICE}, ${conversation!.id}, ${agent}, 'background', 3, 120)`;
    const claimed = await claimNextSession(sql, options);
    expect({ agent, seams: claimed?.seamOffsets }).toEqual({ agent, seams });
  }
});

test("a worker with room for many takes the waiting sessions a batch per claim, not one per claim", async () => {
  await sql`update sessions set status = 'completed' where status <> 'completed'`;
  const ids = await waitingSessions(30, "#sim tokens=3 rate=0 seed=batch");
  const env = workerEnv();
  // Every claim the lifecycle is asked for, by how many sessions it took.
  const takenPerClaim: number[] = [];
  const runtime = testRuntime(sql, env, {
    transitions: (postgres) => ({
      ...postgres,
      claimNext: async (options) => {
        const row = await postgres.claimNext(options);
        takenPerClaim.push(row ? 1 : 0);
        return row;
      },
      claimWaiting: async (options, limit) => {
        const rows = await postgres.claimWaiting(options, limit);
        takenPerClaim.push(rows.length);
        return rows;
      },
    }),
  });
  const worker = await startLocalWorker({ runtime, concurrency: 30, reconcileMs: 3_600_000 });
  try {
    expect(await epochsOnceCompleted(ids)).toEqual(ids.map(() => 2));
    const taking = takenPerClaim.filter((taken) => taken > 0);
    // 30 sessions, up to 25 a statement: two claims took them all (one at a time took 30).
    expect(taking.reduce((sum, taken) => sum + taken, 0)).toBe(30);
    expect(taking.length).toBeLessThanOrEqual(2);
  } finally {
    await worker.stop();
  }
});
