import { describe, expect, test } from "vitest";
import { createPostgresTransitions } from "../../lib/db/session-transitions.ts";
import type { SessionStatus } from "../../lib/lifecycle.ts";
import type { SessionObserver, SessionTransitions } from "../../lib/session/ports.ts";
import { ALICE, sessionFixture } from "../support/session-fixture.ts";

const { sql } = await sessionFixture();

/** The row as a query sent from the observer's callback sees it. */
type Seen = { status: SessionStatus; epoch: number; cancel_requested: boolean };

/** Transitions over Postgres whose observer records, per announcement, what the database then holds. */
function observed() {
  const seen: Promise<Seen | undefined>[] = [];
  const observer: SessionObserver = {
    appended: () => {},
    progress: () => {},
    statusChanged: (sessionId) => {
      seen.push(
        sql<Seen[]>`select status, epoch, cancel_requested from sessions where id = ${sessionId}`.then(
          ([row]) => row,
        ),
      );
    },
  };
  return { transitions: createPostgresTransitions({ sql, observers: [observer], leaseSeconds: 30 }), seen };
}

/** A session in `status` at epoch 5, held by someone whose lease expired a minute ago. */
async function sessionIn(status: SessionStatus, owner: string | null = "someone"): Promise<string> {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [row] = await sql<{ id: string }[]>`
    insert into sessions (user_id, conversation_id, agent, status, epoch, runner, lease_owner, lease_expires_at)
    values (${ALICE}, ${conversation!.id}, 'sim-chat', ${status}, 5, 'live', ${owner}, now() - interval '1 minute')
    returning id`;
  return row!.id;
}

const claim = {
  runner: "worker" as const,
  owner: "c",
  leaseSeconds: 30,
  detachableAgents: [],
  knownAgents: ["sim-chat"],
};

const cases: [
  string,
  SessionStatus,
  (t: SessionTransitions, id: string) => Promise<unknown>,
  Partial<Seen>,
][] = [
  ["handOff", "live", (t, id) => t.handOff(id, 5), { status: "background", epoch: 6 }],
  [
    "claim",
    "background",
    (t, id) => t.claim(id, { ...claim, expectedEpoch: 5 }),
    { status: "background", epoch: 6 },
  ],
  ["expire", "live", (t, id) => t.expire(id, 5), { status: "background", epoch: 6 }],
  ["release", "background", (t, id) => t.release(id, 5), { status: "background", epoch: 5 }],
  ["fenceOut", "background", (t, id) => t.fenceOut(id), { status: "background", epoch: 6 }],
  ["requestCancel", "live", (t, id) => t.requestCancel(id), { cancel_requested: true }],
  ["interrupt", "live", (t, id) => t.interrupt(id, 5), { status: "interrupted" }],
  [
    "finish",
    "live",
    (t, id) => t.finish({ sessionId: id, epoch: 5, status: "completed", run: null, error: null }),
    { status: "completed" },
  ],
];

describe("every transition announces itself to the observers once it has committed", () => {
  test.each(cases)("%s from %s", async (_name, status, perform, after) => {
    const { transitions, seen } = observed();
    const id = await sessionIn(status);
    await perform(transitions, id);
    expect(seen).toHaveLength(1);
    expect(await seen[0]).toMatchObject(after);
  });

  test("a transition that does not apply (a stale epoch) announces nothing", async () => {
    const { transitions, seen } = observed();
    const id = await sessionIn("live");
    expect(await transitions.handOff(id, 4)).toBeNull();
    expect(await transitions.interrupt(id, 4)).toBe("fenced");
    expect(seen).toHaveLength(0);
  });

  test("start and claimNext announce the session they created or took", async () => {
    const { transitions, seen } = observed();
    const started = await transitions.start({
      userId: ALICE,
      message: "hi",
      agent: "sim-chat",
      mode: "background",
      status: "background",
      runner: null,
      leaseOwner: null,
      title: "t",
      leaseSeconds: 30,
    });
    if (started === "not_found" || "admitted" in started) throw new Error("unexpected");
    expect(await seen[0]).toMatchObject({ status: "background", epoch: 1 });
    await sql`update sessions set updated_at = now() - interval '1 day' where id = ${started.sessionId}`;
    const claimed = await transitions.claimNext(claim);
    expect(claimed?.id).toBe(started.sessionId);
    expect(seen).toHaveLength(2);
    expect(await seen[1]).toMatchObject({ status: "background", epoch: 2 });
  });
});
