import { afterEach, describe, expect, test, vi } from "vitest";
import { decodeNotify, encodeNotify } from "../../lib/db/notify-payloads.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import { createPostgresTransitions } from "../../lib/db/session-transitions.ts";
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
import { ALICE, sessionFixture, startTestSession } from "../support/session-fixture.ts";

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

/** The lifecycle over Postgres, announcing to nobody: the port every runner takes its transitions from. */
const transitions = createPostgresTransitions({ sql, observers: [], leaseSeconds: 30 });

/** Each transition, called as its runner would (holding the session's current epoch). */
const perform: Record<Exclude<TransitionName, "start">, (id: string, epoch: number) => Promise<unknown>> = {
  handOff: (id, epoch) => transitions.handOff(id, epoch),
  claim: (id, epoch) => transitions.claim(id, { ...claim, expectedEpoch: epoch }),
  renew: (id, epoch) =>
    appendCheckpoint(sql, { sessionId: id, epoch, startOffset: 0, text: "", leaseSeconds: 30 }),
  release: (id, epoch) => transitions.release(id, epoch),
  expire: (id, epoch) => transitions.expire(id, epoch),
  requestCancel: (id) => transitions.requestCancel(id),
  fenceOut: (id) => transitions.fenceOut(id),
  interrupt: (id, epoch) => transitions.interrupt(id, epoch),
  finish: (id, epoch) =>
    transitions.finish({ sessionId: id, epoch, status: "completed", run: null, error: null }),
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
    await perform[name](id, before.epoch);
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
      const started = await startTestSession(sql, {
        title: "t",
        message: "hi",
        mode: "auto",
        status,
        runner: null,
        leaseOwner: null,
      });
      expect(await read(started.sessionId)).toMatchObject({ status, epoch: 1 });
    }
  });
});

describe("one recovery path", () => {
  test("a producer whose lease expired is claimed only after recovery re-dispatches it at a new epoch", async () => {
    await sql`update sessions set status = 'completed' where status <> 'completed'`;
    const id = await sessionIn("live");
    expect(await transitions.claimNext(claim)).toBeNull();
    const env = parseEnv({ DATABASE_URL: databaseUrl, LEASE_SECONDS: "30" });
    expect(await recoverExpiredSessions(testRuntime(sql, env))).toEqual([id]);
    const claimed = await transitions.claimNext(claim);
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
