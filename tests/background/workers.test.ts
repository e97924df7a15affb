import type { ChildProcess } from "node:child_process";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { api, readSse, signIn, textOfDeltas, waitFor } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import { killWorker, workerRunning } from "../support/workers.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";

let stack: TestStack;
let sql: postgres.Sql;
let alice: ReturnType<typeof api>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ env: { LEASE_SECONDS: "3", CHAT_REQUESTS_PER_MINUTE: "1000" } });
  workers.push(await stack.startWorker(), await stack.startWorker());
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  alice = api(stack.appUrl, await signIn(stack.supabaseUrl, "alice@example.com"));
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

/** Worker processes still running. */
function liveWorkers(): ChildProcess[] {
  return workers.filter((child) => child.exitCode === null && child.signalCode === null);
}

async function startBackground(message: string, agent: string): Promise<string> {
  const response = await alice.chat({ message, agent, mode: "background" });
  expect(response.status).toBe(202);
  const body = await response.json();
  expect(body).toMatchObject({ status: "background", streamUrl: `/api/sessions/${body.sessionId}/stream` });
  return body.sessionId as string;
}

describe.each(["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"])(
  "mode background with %s",
  (agent) => {
    test("runs in a worker from the first byte and ends with the exact text", async () => {
      const seed = `bg-${agent}`;
      const sessionId = await startBackground(`#sim tokens=400 rate=0 seed=${seed}`, agent);
      const events = await readSse(await alice.stream(sessionId));
      expect(events.at(-1)?.event).toBe("done");
      expect(textOfDeltas(events)).toBe(simulatedText(seed, 400));
      const [row] = await sql`select runner, epoch from sessions where id = ${sessionId}`;
      expect(row).toMatchObject({ runner: "worker", epoch: 2 });
    });
  },
);

test("kill -9 of the worker running a detachable session: another worker re-attaches and the text is exact", async () => {
  const seed = "crash-bg";
  const sessionId = await startBackground(`#sim tokens=2000 rate=200 seed=${seed}`, "sim-openai-bg");
  killWorker(workers, (await workerRunning(sql, sessionId)).pid);
  const events = await readSse(await alice.stream(sessionId));
  expect(events.at(-1)?.event).toBe("done");
  expect(textOfDeltas(events)).toBe(simulatedText(seed, 2000));
  const [row] =
    await sql`select lease_owner, runner, epoch, seam_offsets from sessions where id = ${sessionId}`;
  expect(row!.epoch).toBeGreaterThanOrEqual(3);
  expect(row!.seam_offsets).toEqual([]);
  workers.push(await stack.startWorker());
});

test("kill -9 during a connection-bound session: the partial output survives and continues after a seam", async () => {
  const seed = "crash-chat";
  const sessionId = await startBackground(`#sim tokens=2000 rate=200 seed=${seed}`, "sim-chat");
  const { pid } = await workerRunning(sql, sessionId);
  const [before] = await sql`select durable_offset from sessions where id = ${sessionId}`;
  killWorker(workers, pid);
  const snapshot = await waitFor(async () => {
    const body = await (await alice.snapshot(sessionId)).json();
    return body.status === "completed" ? body : undefined;
  }, 60_000);
  expect(snapshot.seams).toHaveLength(1);
  const seam = snapshot.seams[0] as number;
  expect(seam).toBeGreaterThanOrEqual(Number(before!.durable_offset));
  const partial = Buffer.from(snapshot.output, "utf8").subarray(0, seam).toString("utf8");
  expect(simulatedText(seed, 2000).startsWith(partial)).toBe(true);
  expect(snapshot.offset).toBeGreaterThan(seam);
  workers.push(await stack.startWorker());
});

test("cancel stops a session a worker is running; partial output kept; the worker lives on", async () => {
  const sessionId = await startBackground("#sim tokens=3000 rate=100 seed=cancel-bg", "sim-openai-bg");
  await workerRunning(sql, sessionId);
  const aliveBefore = liveWorkers().length;
  const started = Date.now();
  const response = await alice.cancel(sessionId);
  expect(response.status).toBe(200);
  expect((await response.json()).status).toBe("cancelled");
  // The worker itself stopped the run (well inside the grace period), and survived doing it.
  expect(Date.now() - started).toBeLessThan(2500);
  const snapshot = await (await alice.snapshot(sessionId)).json();
  expect(snapshot.status).toBe("cancelled");
  expect(simulatedText("cancel-bg", 3000).startsWith(snapshot.output)).toBe(true);
  expect(snapshot.offset).toBeGreaterThan(0);
  // The worker has let go of the session, and the workers still take and finish new work.
  await waitFor(async () => {
    const [row] = await sql`select lease_owner from sessions where id = ${sessionId}`;
    return row && row.lease_owner === null ? true : undefined;
  });
  const next = await startBackground("#sim tokens=50 rate=0 seed=after-cancel", "sim-chat");
  expect(textOfDeltas(await readSse(await alice.stream(next)))).toBe(simulatedText("after-cancel", 50));
  expect(liveWorkers()).toHaveLength(aliveBefore);
});

test("the reconciler recovers a session abandoned with an expired lease, from its durable offset", async () => {
  const seed = "abandoned";
  const message = `#sim tokens=300 rate=0 seed=${seed}`;
  const truth = simulatedText(seed, 300);
  const partial = truth.slice(0, 120);
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [userMessage] = await sql`insert into messages (conversation_id, user_id, role, content)
    values (${conversation!.id}, ${ALICE}, 'user', ${message}) returning id`;
  const [session] = await sql`
    insert into sessions (user_id, conversation_id, user_message_id, agent, status, runner, epoch, lease_owner,
                          lease_expires_at, durable_offset, started_at)
    values (${ALICE}, ${conversation!.id}, ${userMessage!.id}, 'sim-anthropic', 'background', 'worker', 4,
            'worker-0-dead', now() - interval '1 minute', ${Buffer.byteLength(partial)}, now())
    returning id`;
  await sql`insert into session_chunks (session_id, start_offset, end_offset, text, epoch)
            values (${session!.id}, 0, ${Buffer.byteLength(partial)}, ${partial}, 4)`;
  const snapshot = await waitFor(async () => {
    const body = await (await alice.snapshot(session!.id)).json();
    return body.status === "completed" ? body : undefined;
  }, 30_000);
  expect(snapshot.output.startsWith(partial)).toBe(true);
  expect(snapshot.seams).toEqual([Buffer.byteLength(partial)]);
  // One recovery path: the sweep expires the lease (epoch 5, fencing the dead owner) and re-dispatches;
  // a worker's claim raises it once more (6).
  const [row] = await sql`select epoch from sessions where id = ${session!.id}`;
  expect(row!.epoch).toBe(6);
});

test("auto mode sends a connection-bound agent whose recent sessions outlived the budget to the background", async () => {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  for (let i = 0; i < 3; i++) {
    await sql`insert into sessions (user_id, conversation_id, agent, status, started_at, finished_at)
              values (${ALICE}, ${conversation!.id}, 'sim-anthropic', 'completed',
                      now() - interval '20 minutes', now() - interval '5 minutes')`;
  }
  const routed = await alice.chat({ message: "#sim tokens=20 rate=0", agent: "sim-anthropic" });
  expect(routed.status).toBe(202);
  // Agents without such a history stream live.
  const live = await alice.chat({ message: "#sim tokens=20 rate=0", agent: "sim-chat" });
  expect(live.status).toBe(200);
  await readSse(live);
});

test("many sessions across several workers: each has exactly one producer and the exact text", async () => {
  const ids = await Promise.all(
    Array.from({ length: 30 }, (_, i) => startBackground(`#sim tokens=60 rate=30 seed=many${i}`, "sim-chat")),
  );
  for (const [i, id] of ids.entries()) {
    const events = await readSse(await alice.stream(id));
    expect(events.at(-1)?.event).toBe("done");
    expect(textOfDeltas(events)).toBe(simulatedText(`many${i}`, 60));
  }
  // One claim each (epoch 1 → 2) and every chunk written at that epoch: no second producer ever wrote.
  const rows = await sql<{ id: string; epoch: number; chunk_epochs: number[] }[]>`
    select s.id, s.epoch, array_agg(distinct c.epoch) as chunk_epochs
    from sessions s join session_chunks c on c.session_id = s.id
    where s.id = any(${ids}) group by s.id, s.epoch`;
  expect(rows).toHaveLength(30);
  for (const row of rows) expect(row).toMatchObject({ epoch: 2, chunk_epochs: [2] });
});
