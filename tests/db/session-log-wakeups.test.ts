import { afterAll, expect, test } from "vitest";
import { createSql } from "../../lib/db/client.ts";
import { appendCheckpoint, SESSION_LOG_CHANNEL } from "../../lib/db/session-log.ts";
import { type SessionChange, SessionNotifications } from "../../lib/db/session-notifications.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { waitFor } from "../support/api.ts";
import { withTestDatabase } from "../support/database.ts";
import { ALICE } from "../support/session-fixture.ts";

// Checkpoint writes NOTIFY only sessions some process listens to (issue 19 point 6): a NOTIFY takes a
// database-wide lock at commit. These tests prove no reader loses a wake-up for it.
const { url, sql } = await withTestDatabase(4);
const notifications = new SessionNotifications(sql);
const other = createSql(url, 2);
afterAll(() => other.end());

async function newSession(): Promise<{ sessionId: string; epoch: number }> {
  const started = await startSession(sql, {
    userId: ALICE,
    message: "wake-ups",
    agent: "sim-chat",
    mode: "background",
    status: "background",
    runner: "worker",
    leaseOwner: "test",
    title: "wake-ups",
    leaseSeconds: 60,
  });
  if (started === "not_found") throw new Error("no such user");
  return started;
}

/** Waits until `condition` holds (waitFor waits for a defined value). */
const until = (condition: () => boolean | Promise<boolean>) =>
  waitFor(async () => ((await condition()) ? true : undefined));

const append = (session: { sessionId: string; epoch: number }, startOffset: number, text: string) =>
  appendCheckpoint(sql, { ...session, startOffset, text, leaseSeconds: 60 });

test("a checkpoint of a session nobody listens to sends no NOTIFY; one a reader listens to does", async () => {
  const session = await newSession();
  const heard: string[] = [];
  const raw = await other.listen(SESSION_LOG_CHANNEL, (payload) => heard.push(payload));
  try {
    expect(await append(session, 0, "unheard ")).toBe("ok");
    const unsubscribe = await notifications.subscribe(session.sessionId, () => {});
    expect(await append(session, 8, "heard")).toBe("ok");
    // NOTIFYs arrive in commit order: had the first write notified, it would come first.
    await until(() => heard.length > 0);
    expect(JSON.parse(heard[0]!)).toEqual({ s: session.sessionId, o: 13 });
    unsubscribe();
  } finally {
    await raw.unlisten();
  }
});

test("a reader subscribed through the process's hub wakes on the next checkpoint", async () => {
  const session = await newSession();
  const changes: SessionChange[] = [];
  const unsubscribe = await notifications.subscribe(session.sessionId, (change) => changes.push(change));
  try {
    expect(await append(session, 0, "wake up")).toBe("ok");
    await until(() => changes.length > 0);
    expect(changes[0]).toMatchObject({ sessionId: session.sessionId, offset: 7 });
  } finally {
    unsubscribe();
  }
});

test("a checkpoint that waits on the row while a reader registers notifies that reader", async () => {
  // The race the mark must close: the write's statement starts before the reader's mark commits and
  // commits after it. A third transaction holds the session row so both queue on it, the mark first.
  const session = await newSession();
  const changes: SessionChange[] = [];
  const holder = createSql(url, 1);
  try {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holding = holder.begin(async (tx) => {
      await tx`select 1 from sessions where id = ${session.sessionId} for update`;
      await held;
    });
    await until(async () => (await holds()) > 0);
    const subscribing = notifications.subscribe(session.sessionId, (change) => changes.push(change));
    await until(async () => (await lockWaiters()) === 1);
    const appending = append(session, 0, "raced");
    await until(async () => (await lockWaiters()) === 2);
    release();
    await holding;
    const unsubscribe = await subscribing;
    expect(await appending).toBe("ok");
    await until(() => changes.some((change) => change.offset === 5));
    unsubscribe();
  } finally {
    await holder.end();
  }
});

/** Backends waiting for a lock (the holder's row lock) — the queue order the test scripts. */
async function lockWaiters(): Promise<number> {
  const [row] = await sql<{ waiting: number }[]>`
    select count(*)::int as waiting from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`;
  return row!.waiting;
}

async function holds(): Promise<number> {
  const [row] = await sql<{ open: number }[]>`
    select count(*)::int as open from pg_stat_activity
    where datname = current_database() and state = 'idle in transaction'`;
  return row!.open;
}
