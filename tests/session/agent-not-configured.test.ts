import { afterAll, beforeEach, expect, test } from "vitest";
import { createSql } from "../../lib/db/client.ts";
import { parseEnv } from "../../lib/env.ts";
import { claimNextForBackground, runBackgroundSession } from "../../lib/session/background.ts";
import { recoverExpiredSessions } from "../../lib/session/reconcile.ts";
import { createTestDatabase } from "../support/database.ts";
import { testRuntime } from "../support/runtime.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const database = await createTestDatabase();
const sql = createSql(database.url, 3);
// AGENTS unset: this runner knows the simulator's agents only.
const env = parseEnv({ DATABASE_URL: database.url, LEASE_SECONDS: "30" });
const sweep = () => recoverExpiredSessions(testRuntime(sql, env));

afterAll(async () => {
  await sql.end();
  await database.drop();
});
beforeEach(async () => {
  await sql`update sessions set status = 'completed' where status <> 'completed'`;
});

/** A background session of `agent` nobody holds, with 7 bytes of output, last touched `ago` back. */
async function waitingSession(agent: string, ago: string, lease = "1 minute"): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [session] = await sql<{ id: string }[]>`
    insert into sessions (user_id, conversation_id, agent, status, epoch, durable_offset, lease_expires_at, updated_at)
    values (${ALICE}, ${conversation!.id}, ${agent}, 'background', 2, 7, now() + ${lease}::interval,
            now() - ${ago}::interval)
    returning id`;
  await sql`insert into session_chunks (session_id, start_offset, end_offset, text, epoch)
            values (${session!.id}, 0, 7, 'partial', 2)`;
  return session!.id;
}

async function row(id: string) {
  const [found] = await sql`
    select status, error, lease_owner, durable_offset,
           (select string_agg(text, '' order by start_offset) from session_chunks where session_id = s.id) as text
    from sessions s where id = ${id}`;
  return found!;
}

test("a runner does not claim a session of an agent it does not know, and does not fail it; one that knows it takes it", async () => {
  const id = await waitingSession("elsewhere-agent", "0 seconds");
  expect(
    await runBackgroundSession({
      sessionId: id,
      runner: "worker",
      owner: "t",
      runtime: testRuntime(sql, env),
    }),
  ).toMatchObject({
    kind: "not_claimed",
  });
  expect(await claimNextForBackground({ runner: "worker", owner: "t", runtime: testRuntime(sql, env) })).toBe(
    "none",
  );
  expect(await row(id)).toMatchObject({ status: "background", error: null, lease_owner: null });

  const knowing = parseEnv({
    DATABASE_URL: database.url,
    AGENTS: JSON.stringify([
      {
        name: "elsewhere-agent",
        transport: "chat-completions",
        url: "http://127.0.0.1:9/v1",
        token: "t",
        model: "gpt-4.1-mini",
      },
    ]),
  });
  const claimed = await claimNextForBackground({
    runner: "worker",
    owner: "knows",
    runtime: testRuntime(sql, knowing),
  });
  expect(claimed).not.toBe("none");
  expect(claimed !== "none" && claimed !== "unrunnable" && claimed.session.id).toBe(id);
});

test("the reconciler fails a session waiting for an unknown agent only after AGENT_MISSING_FAIL_SECONDS, output kept", async () => {
  // Its lease ran out long ago: still not re-dispatched (no runner here can take it), and not failed yet.
  const recent = await waitingSession("retired-agent", "599 seconds", "-5 minutes");
  expect(await sweep()).toEqual([]);
  expect(await row(recent)).toMatchObject({ status: "background", error: null });

  const old = await waitingSession("retired-agent", "601 seconds");
  await sweep();
  expect(await row(old)).toMatchObject({
    status: "failed",
    error: { code: "service_unavailable:agent_not_configured" },
    durable_offset: 7,
    text: "partial",
  });
  expect(await row(recent)).toMatchObject({ status: "background" });
});

test("AGENT_MISSING_FAIL_SECONDS sets the wait", async () => {
  const id = await waitingSession("retired-agent", "61 seconds");
  await recoverExpiredSessions(
    testRuntime(sql, parseEnv({ DATABASE_URL: database.url, AGENT_MISSING_FAIL_SECONDS: "60" })),
  );
  expect(await row(id)).toMatchObject({
    status: "failed",
    error: { code: "service_unavailable:agent_not_configured" },
  });
});
