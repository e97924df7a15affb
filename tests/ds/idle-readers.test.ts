import { afterAll, beforeAll, expect, test } from "vitest";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import { SessionNotifications } from "../../lib/db/session-notifications.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { getSession } from "../../lib/db/sessions.ts";
import { formatOffset } from "../../lib/ds/protocol.ts";
import { readResponse } from "../../lib/ds/reads.ts";
import { sessionStreamSource } from "../../lib/ds/session-stream.ts";
import { sseResponse } from "../../lib/ds/sse.ts";
import { createTestDatabase } from "../support/database.ts";
import { ALICE } from "../support/session-fixture.ts";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;
/** The process's one LISTEN hub, as the runtime holds it. */
let notifications: SessionNotifications;
/** Every query the pool sends (postgres.js reads `debug` at each query). */
let queries = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = createSql(database.url, 4);
  notifications = new SessionNotifications(sql);
  (sql.options as { debug?: unknown }).debug = () => {
    queries++;
  };
});
afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

/** Waits until no query has gone out for `quietMs` (every reader has settled into its wait). */
async function settled(quietMs = 1000): Promise<number> {
  let seen = -1;
  while (seen !== queries) {
    seen = queries;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
  return queries;
}

test("50 long-poll and 50 SSE readers waiting at a session's tail cost no query each; one append wakes them all", async () => {
  const started = await startSession(sql, {
    userId: ALICE,
    message: "idle readers",
    agent: "sim-chat",
    mode: "background",
    status: "background",
    runner: "worker",
    leaseOwner: "test",
    title: "idle readers",
    leaseSeconds: 60,
  });
  if (started === "not_found") throw new Error("no user");
  const write = { sessionId: started.sessionId, epoch: started.epoch, leaseSeconds: 60 };
  expect(await appendCheckpoint(sql, { ...write, startOffset: 0, text: "first " })).toBe("ok");
  const session = (await getSession(sql, started.sessionId))!;
  const from = { kind: "bytes" as const, offset: 6, raw: formatOffset(6) };
  const stop = new AbortController();
  try {
    const polls = Array.from({ length: 50 }, () =>
      readResponse(sessionStreamSource({ sql, notifications }, session), {
        from,
        live: "long-poll",
        cursor: null,
        ifNoneMatch: null,
        longPollMs: 120_000,
        signal: stop.signal,
      }),
    );
    const sse = Array.from({ length: 50 }, () =>
      sseResponse(sessionStreamSource({ sql, notifications }, session), {
        from,
        cursor: null,
        keepAliveMs: 120_000,
        lifetimeMs: 120_000,
        signal: stop.signal,
        logContext: {},
      }).body!.getReader(),
    );
    // Each SSE reader says where it stands, then waits.
    for (const reader of sse)
      expect(new TextDecoder().decode((await reader.read()).value)).toContain("upToDate");

    const before = await settled();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Polling readers would have queried many times each; the process's safety check is one query.
    expect(queries - before).toBeLessThanOrEqual(1);

    expect(await appendCheckpoint(sql, { ...write, startOffset: 6, text: "second" })).toBe("ok");
    for (const response of await Promise.all(polls)) {
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("second");
      expect(response.headers.get("stream-next-offset")).toBe(formatOffset(12));
    }
    for (const reader of sse) {
      let received = "";
      while (!received.includes("event: data"))
        received += new TextDecoder().decode((await reader.read()).value);
      expect(received).toContain("event: data\ndata:second\n\n");
    }
  } finally {
    stop.abort();
  }
});
