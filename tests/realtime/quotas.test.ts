import { beforeAll, describe, expect, test } from "vitest";
import type { SupabaseStandIn } from "../../dev/auth/server.ts";
import { realtimeQuotasFromEnv } from "../../dev/realtime/project-quota.ts";
import { LOCAL_SUPABASE_SECRET_KEY } from "../../lib/env.ts";
import {
  ALICE_ID,
  closeClient,
  follow,
  realtimeClient,
  signedIn,
  waitFor,
  withStandInDatabase,
} from "./fixture.ts";

const { aliceSession, startStandIn, track } = withStandInDatabase();

test("the quotas default to Supabase Pro's and are read from REALTIME_* settings", () => {
  expect(realtimeQuotasFromEnv({})).toEqual({ messagesPerSecond: 500, maxConnections: 500 });
  expect(
    realtimeQuotasFromEnv({ REALTIME_MESSAGES_PER_SECOND: "100", REALTIME_MAX_CONNECTIONS: "200" }),
  ).toEqual({ messagesPerSecond: 100, maxConnections: 200 });
  expect(() => realtimeQuotasFromEnv({ REALTIME_MAX_CONNECTIONS: "many" })).toThrow(
    /REALTIME_MAX_CONNECTIONS/,
  );
});

describe("the connection quota", () => {
  test("a socket past the quota is refused its join with Realtime's reason, logged; a freed place lets it in", async () => {
    const log: string[] = [];
    const project = await startStandIn({ realtime: { maxConnections: 2, log: (line) => log.push(line) } });
    const first = track(await signedIn(project.url, "alice@example.com"));
    const second = track(await signedIn(project.url, "alice@example.com"));
    expect((await follow(first, `session:${aliceSession()}`).joined).status).toBe("SUBSCRIBED");
    expect((await follow(second, `session:${aliceSession()}`).joined).status).toBe("SUBSCRIBED");
    // A counted socket may join more channels.
    expect((await follow(second, `user:${ALICE_ID}`).joined).status).toBe("SUBSCRIBED");

    const third = track(await signedIn(project.url, "alice@example.com"));
    const refused = follow(third, `session:${aliceSession()}`);
    const outcome = await refused.joined;
    expect(outcome.status).toBe("CHANNEL_ERROR");
    expect(outcome.error?.message).toBe("ConnectionRateLimitReached: Too many connected users");
    expect(log.some((line) => line.includes("ConnectionRateLimitReached: Too many connected users"))).toBe(
      true,
    );

    // supabase-js keeps retrying the join; once a socket closes, the place is free.
    await closeClient(first);
    await waitFor(() => refused.statuses.includes("SUBSCRIBED"), "the refused client to join", 30_000);
  });
});

describe("the message quota", () => {
  let project: SupabaseStandIn;
  const log: string[] = [];
  beforeAll(async () => {
    // Realtime's counter averaged over 1 s ticks instead of 5 s, so the test does not wait long.
    project = await startStandIn({
      realtime: { maxEventsPerSecond: 20, rateTickMs: 1000, log: (line) => log.push(line) },
    });
  });

  test("over it, every channel of the project gets the system error and phx_close, REST gets 429, and it is logged", async () => {
    const subscriber = track(await signedIn(project.url, "alice@example.com"));
    const other = track(await signedIn(project.url, "alice@example.com"));
    const session = follow(subscriber, `session:${aliceSession()}`);
    const list = follow(other, `user:${ALICE_ID}`);
    expect((await session.joined).status).toBe("SUBSCRIBED");
    expect((await list.joined).status).toBe("SUBSCRIBED");

    const server = track(realtimeClient(project.url, LOCAL_SUPABASE_SECRET_KEY));
    const channel = server.channel(`session:${aliceSession()}`, { config: { private: true } });
    // 150 sends, each delivered once: 300 messages, far over 20 a second on average.
    for (let i = 0; i < 150; i++) await channel.httpSend("log", { i }).catch(() => {});

    await waitFor(
      () => session.statuses.includes("CLOSED") && list.statuses.includes("CLOSED"),
      "every channel to close",
    );
    const quotaError = expect.objectContaining({
      message: "Too many messages per second",
      status: "error",
      extension: "system",
    });
    expect(session.system).toContainEqual(quotaError);
    // The user topic carried nothing: the quota is the project's, not the channel's.
    expect(list.received).toEqual([]);
    expect(list.system).toContainEqual(quotaError);
    expect(project.realtime.overMessageQuota).toBe(true);
    await expect(channel.httpSend("log", { late: true })).rejects.toThrow(
      "You have exceeded your rate limit",
    );
    expect(log.filter((line) => line.startsWith("MessagePerSecondRateLimitReached"))).toHaveLength(1);
  });

  test("once the minute's average falls under the quota, sends are accepted again", async () => {
    await waitFor(() => !project.realtime.overMessageQuota, "the average to fall", 30_000);
    const server = track(realtimeClient(project.url, LOCAL_SUPABASE_SECRET_KEY));
    await expect(
      server.channel(`session:${aliceSession()}`, { config: { private: true } }).httpSend("log", { back: 1 }),
    ).resolves.toEqual({ success: true });
    expect(log.some((line) => line.startsWith("messages per second back under the quota"))).toBe(true);
  });
});
