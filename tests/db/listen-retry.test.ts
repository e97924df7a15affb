import { expect, test } from "vitest";
import { StreamWakeups } from "../../lib/db/ds-stream-wakeups.ts";
import { ChannelListener } from "../../lib/db/listen.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import type { SessionChange } from "../../lib/db/session-notifications.ts";
import { SessionNotifications } from "../../lib/db/session-notifications.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { waitFor } from "../support/api.ts";
import { withTestDatabase } from "../support/database.ts";
import { appendTestDsStream, insertTestDsStream } from "../support/ds-stream.ts";
import { ALICE } from "../support/session-fixture.ts";

const { sql } = await withTestDatabase(3);

async function newSession(): Promise<string> {
  const started = await startSession(sql, {
    userId: ALICE,
    message: "listen",
    agent: "sim-chat",
    mode: "live",
    status: "live",
    runner: "live",
    leaseOwner: "test",
    title: "listen",
    leaseSeconds: 30,
  });
  if (started === "not_found") throw new Error("unexpected");
  return started.sessionId;
}

test("a killed LISTEN connection comes back: its readers are woken to re-read, then hear new appends", async () => {
  const hub = new SessionNotifications(sql);
  const sessionId = await newSession();
  const changes: SessionChange[] = [];
  const unsubscribe = await hub.subscribe(sessionId, (change) => changes.push(change));
  try {
    const killed = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where query ilike 'listen %session_log%' and pid <> pg_backend_pid()
        and datname = current_database()`;
    expect(killed.length).toBe(1);
    await sql`select pg_terminate_backend(${killed[0]!.pid})`;
    // Notifications sent while it was down are lost: once it listens again, every reader re-reads.
    await waitFor(async () => changes.find((change) => change.offset === 0) ?? undefined, 10_000, 20);
    await waitFor(
      async () => {
        // This file's own database: other files' hubs LISTEN on the same cluster at the same time.
        const [again] = await sql`
          select 1 from pg_stat_activity
          where query ilike 'listen %session_log%' and datname = current_database()`;
        return again;
      },
      10_000,
      20,
    );
    expect(
      await appendCheckpoint(sql, { sessionId, epoch: 1, startOffset: 0, text: "after", leaseSeconds: 30 }),
    ).toBe("ok");
    await waitFor(async () => changes.find((change) => change.offset === 5) ?? undefined, 10_000, 20);
  } finally {
    unsubscribe();
  }
});

test("a LISTEN that failed is retried: the failure is not remembered", async () => {
  let failures = 1;
  const flaky = Object.assign(Object.create(sql) as typeof sql, {
    listen: Object.assign(
      (...args: Parameters<typeof sql.listen>) => {
        if (failures-- > 0) return Promise.reject(new Error("connection refused"));
        return sql.listen(...args);
      },
      { channels: {} },
    ),
  });
  const heard: string[] = [];
  const listener = new ChannelListener(flaky, "listen_retry_test", (payload) => heard.push(payload));
  await listener.ready();
  await sql`select pg_notify('listen_retry_test', 'hello')`;
  await waitFor(async () => (heard.includes("hello") ? true : undefined), 10_000, 20);
  // Stopping (a worker's, a sender's) unlistens the channel on the LISTEN connection.
  await listener.unlisten();
  const [last] = await sql<{ query: string }[]>`
    select query from pg_stat_activity
    where query ilike '%listen_retry_test%' and pid <> pg_backend_pid() and datname = current_database()`;
  expect(last?.query).toMatch(/^unlisten/i);
});

/**
 * The pid of this pool's LISTEN connection (postgres.js has one per pool for every channel; other
 * files LISTEN on the same cluster, in their own databases).
 */
async function listenerPid(): Promise<number | undefined> {
  const [row] = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity
    where query ilike 'listen %' and pid <> pg_backend_pid() and datname = current_database()`;
  return row?.pid;
}

test("a killed LISTEN connection comes back for durable-stream readers too: woken to re-read, then on appends", async () => {
  const wakeups = new StreamWakeups(sql);
  const streamId = await insertTestDsStream(sql, "listen-retry/ds");
  let woken = 0;
  const unsubscribe = await wakeups.subscribe(streamId, () => woken++);
  try {
    const pid = await listenerPid();
    expect(pid).toBeDefined();
    await sql`select pg_terminate_backend(${pid!})`;
    // Once it listens again, every reader re-reads (notifications may have been lost meanwhile).
    await waitFor(async () => (woken >= 1 ? true : undefined), 10_000, 20);
    await waitFor(async () => listenerPid(), 10_000, 20);
    const before = woken;
    await appendTestDsStream(sql, streamId, 0, "after");
    await waitFor(async () => (woken > before ? true : undefined), 10_000, 20);
  } finally {
    unsubscribe();
  }
});
