import { afterEach, describe, expect, test, vi } from "vitest";
import type { Sql } from "../../lib/db/client.ts";
import { decodeNotify, encodeNotify } from "../../lib/db/notify-payloads.ts";
import { finishSession, markInterrupted } from "../../lib/db/session-finish.ts";
import {
  bumpExpiredEpoch,
  claimNextSession,
  claimSession,
  fenceOutRunner,
  handOffToBackground,
  releaseLease,
  requestCancel,
} from "../../lib/db/session-lease.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { parseEnv } from "../../lib/env.ts";
import {
  allows,
  isTerminal,
  SESSION_STATUSES,
  type SessionStatus,
  TRANSITIONS,
  type TransitionName,
} from "../../lib/lifecycle.ts";
import { recoverExpiredSessions } from "../../lib/session/reconcile.ts";
import { testRuntime } from "../support/runtime.ts";
import { ALICE, sessionFixture } from "../support/session-fixture.ts";

const { sql, databaseUrl } = await sessionFixture();

interface Row {
  status: SessionStatus;
  epoch: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  cancel_requested: boolean;
}

const claim = {
  runner: "worker" as const,
  owner: "claimer",
  leaseSeconds: 30,
  detachableAgents: [],
  knownAgents: ["sim-chat"],
};

/** Each transition's SQL, called as its runner would (holding the session's current epoch). */
const perform: Record<
  Exclude<TransitionName, "start">,
  (db: Sql, id: string, epoch: number) => Promise<unknown>
> = {
  handOff: (db, id, epoch) => handOffToBackground(db, id, epoch, 30),
  claim: (db, id, epoch) => claimSession(db, id, { ...claim, expectedEpoch: epoch }),
  renew: (db, id, epoch) =>
    appendCheckpoint(db, { sessionId: id, epoch, startOffset: 0, text: "", leaseSeconds: 30 }),
  release: (db, id, epoch) => releaseLease(db, id, epoch, 30),
  expire: (db, id, epoch) => bumpExpiredEpoch(db, id, epoch, 30),
  requestCancel: (db, id) => requestCancel(db, id),
  fenceOut: (db, id) => fenceOutRunner(db, id),
  interrupt: (db, id, epoch) => markInterrupted(db, id, epoch),
  finish: (db, id, epoch) =>
    finishSession(db, { sessionId: id, epoch, status: "completed", run: null, error: null }),
};

/** A session in `status`, held by someone at epoch 5 whose lease expired a minute ago. */
async function sessionIn(status: SessionStatus): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [row] = await sql<{ id: string }[]>`
    insert into sessions (user_id, conversation_id, agent, status, epoch, runner, lease_owner, lease_expires_at)
    values (${ALICE}, ${conversation!.id}, 'sim-chat', ${status}, 5, 'live', 'someone', now() - interval '1 minute')
    returning id`;
  return row!.id;
}

async function read(id: string): Promise<Row> {
  const [row] = await sql<Row[]>`
    select status, epoch, lease_owner, lease_expires_at, cancel_requested from sessions where id = ${id}`;
  return row!;
}

const cases = Object.keys(perform).flatMap((name) =>
  SESSION_STATUSES.map((status) => [name as Exclude<TransitionName, "start">, status] as const),
);

describe("every named transition from every state", () => {
  test.each(cases)("%s from %s: allowed exactly as the lifecycle table says", async (name, status) => {
    const id = await sessionIn(status);
    const before = await read(id);
    await perform[name](sql, id, before.epoch);
    const after = await read(id);
    const transition = TRANSITIONS[name];
    if (!allows(name, status)) {
      expect(after).toEqual(before);
      return;
    }
    expect(after).not.toEqual(before);
    expect(after.epoch).toBe(transition.raisesEpoch ? before.epoch + 1 : before.epoch);
    if (transition.to === "same") expect(after.status).toBe(status);
    else if (transition.to === "terminal") expect(isTerminal(after.status)).toBe(true);
    else expect(after.status).toBe(transition.to);
  });

  test("start creates a session at epoch 1 in the status it is given", async () => {
    for (const status of ["queued", "live", "background"] as const) {
      const started = await startSession(sql, {
        userId: ALICE,
        message: "hi",
        agent: "sim-chat",
        mode: "auto",
        status,
        runner: null,
        leaseOwner: null,
        title: "t",
        leaseSeconds: 30,
      });
      if (started === "not_found") throw new Error("unexpected");
      expect(await read(started.sessionId)).toMatchObject({ status, epoch: 1 });
    }
  });
});

describe("one recovery path", () => {
  test("a producer whose lease expired is claimed only after recovery re-dispatches it at a new epoch", async () => {
    await sql`update sessions set status = 'completed' where status <> 'completed'`;
    const id = await sessionIn("live");
    expect(await claimNextSession(sql, claim)).toBeNull();
    const env = parseEnv({ DATABASE_URL: databaseUrl, LEASE_SECONDS: "30" });
    expect(await recoverExpiredSessions(testRuntime(sql, env))).toEqual([id]);
    const claimed = await claimNextSession(sql, claim);
    expect(claimed).toMatchObject({ id, epoch: 7, status: "background" });
  });
});

describe("NOTIFY payloads", () => {
  afterEach(() => vi.restoreAllMocks());

  test("round-trip through the channel's codec", () => {
    const raw = encodeNotify("session_log", { s: "abc", o: 42, st: "completed" });
    expect(decodeNotify("session_log", raw)).toEqual({ s: "abc", o: 42, st: "completed" });
    expect(decodeNotify("session_dispatch", '{"s":"abc","e":3}')).toEqual({ s: "abc", e: 3 });
  });

  test("an unparsable or misshapen payload is logged, not dropped silently", () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(decodeNotify("session_control", "{not json")).toBeNull();
    expect(decodeNotify("session_log", '{"s":"abc","o":"x"}')).toBeNull();
    expect(logged.mock.calls.map((call) => String(call[0]))).toEqual([
      expect.stringContaining("unparsable NOTIFY payload"),
      expect.stringContaining("NOTIFY payload of the wrong shape"),
    ]);
  });
});
