import { expect, test } from "vitest";
import { DISPATCH_CHANNEL } from "../../lib/db/session-lease.ts";
import { parseEnv } from "../../lib/env.ts";
import { recoverExpiredSessions } from "../../lib/session/reconcile.ts";
import { chooseRunner } from "../../lib/session/routing.ts";
import { waitFor } from "../support/api.ts";
import { withTestDatabase } from "../support/database.ts";
import { testRuntime } from "../support/runtime.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const { sql, url: databaseUrl } = await withTestDatabase(3);

test("the scheduled reconciler re-dispatches sessions whose lease expired, at a new epoch, and leaves healthy ones", async () => {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const insert = (status: string, lease: string) => sql`
    insert into sessions (user_id, conversation_id, agent, status, epoch, lease_owner, lease_expires_at)
    values (${ALICE}, ${conversation!.id}, 'sim-openai-bg', ${status}, 3, 'gone', now() + ${lease}::interval)
    returning id`;
  const [expired] = await insert("background", "-1 minute");
  const [expiredLive] = await insert("live", "-5 seconds");
  const [healthy] = await insert("background", "1 minute");
  const [finished] = await insert("completed", "-1 minute");

  const heard: { s: string; e: number }[] = [];
  const listener = await sql.listen(DISPATCH_CHANNEL, (payload) => heard.push(JSON.parse(payload)));
  try {
    const env = parseEnv({ DATABASE_URL: databaseUrl, LEASE_SECONDS: "30" });
    const redispatched = await recoverExpiredSessions(testRuntime(sql, env));
    expect(new Set(redispatched)).toEqual(new Set([expired!.id, expiredLive!.id]));
    const announced = (id: string) => heard.some((payload) => payload.s === id);
    await waitFor(
      async () => (announced(expired!.id) && announced(expiredLive!.id) ? true : undefined),
      10_000,
      20,
    );
    expect(heard).toEqual(
      expect.arrayContaining([
        { s: expired!.id, e: 4 },
        { s: expiredLive!.id, e: 4 },
      ]),
    );
    const rows = await sql`select id, epoch, status, lease_owner from sessions where id in ${sql([
      expired!.id,
      healthy!.id,
      finished!.id,
    ])}`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(expired!.id)).toMatchObject({ epoch: 4, status: "background", lease_owner: null });
    expect(byId.get(healthy!.id)).toMatchObject({ epoch: 3, lease_owner: "gone" });
    expect(byId.get(finished!.id)).toMatchObject({ epoch: 3, status: "completed" });
    // A second sweep right away finds nothing: the re-dispatched sessions hold a pending lease.
    expect(await recoverExpiredSessions(testRuntime(sql, env))).toEqual([]);
  } finally {
    await listener.unlisten();
  }
});

test("routing: auto keeps detachable agents live and sends connection-bound ones with long histories to the background", () => {
  const base = { budgetSeconds: 740, recentDurationsSeconds: [] as number[] };
  expect(chooseRunner({ ...base, mode: "background", detachable: true })).toBe("background");
  expect(chooseRunner({ ...base, mode: "live", detachable: false })).toBe("live");
  expect(
    chooseRunner({ ...base, mode: "auto", detachable: true, recentDurationsSeconds: [9000, 9000, 9000] }),
  ).toBe("live");
  expect(chooseRunner({ ...base, mode: "auto", detachable: false, recentDurationsSeconds: [900, 800] })).toBe(
    "live",
  );
  expect(
    chooseRunner({ ...base, mode: "auto", detachable: false, recentDurationsSeconds: [10, 20, 30, 900] }),
  ).toBe("background");
  expect(
    chooseRunner({ ...base, mode: "auto", detachable: false, recentDurationsSeconds: [10, 20, 30, 40] }),
  ).toBe("live");
});
