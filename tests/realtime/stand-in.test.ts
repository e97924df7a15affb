import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SupabaseStandIn, startSupabaseStandIn } from "../../dev/auth/server.ts";
import { LOCAL_SUPABASE_SECRET_KEY } from "../../lib/env.ts";
import { ALICE_ID, follow, realtimeClient, signedIn, waitFor, withStandInDatabase } from "./fixture.ts";

const { aliceSession, databaseUrl, startStandIn, track } = withStandInDatabase();
const standInLog: string[] = [];
let standIn: SupabaseStandIn;
let server: SupabaseClient;

beforeAll(async () => {
  standIn = await startStandIn({ realtime: { log: (line) => standInLog.push(line) } });
  server = track(realtimeClient(standIn.url, LOCAL_SUPABASE_SECRET_KEY));
});

const serverChannel = (topic: string) => server.channel(topic, { config: { private: true } });

describe("private session topics, authorized by the RLS policy", () => {
  test("Alice joins session:<her id> and receives the server's httpSend messages in order", async () => {
    const alice = track(await signedIn(standIn.url, "alice@example.com"));
    const followed = follow(alice, `session:${aliceSession()}`);
    expect((await followed.joined).status).toBe("SUBSCRIBED");

    const channel = serverChannel(`session:${aliceSession()}`);
    for (let i = 0; i < 20; i++) await channel.httpSend("log", { from: i, to: i + 1, text: String(i % 10) });
    await waitFor(() => followed.received.length === 20, "20 messages");
    expect(followed.received.map((message) => message.payload.from)).toEqual([...Array(20).keys()]);
    expect(followed.received[0]).toEqual({ event: "log", payload: { from: 0, to: 1, text: "0" } });
  });

  test("Bob and anon are refused with Realtime's reason, and the stand-in logs the refusal", async () => {
    const reason = `Unauthorized: You do not have permissions to read from this Channel topic: session:${aliceSession()}`;
    const bob = track(await signedIn(standIn.url, "bob@example.com"));
    const bobJoin = await follow(bob, `session:${aliceSession()}`).joined;
    expect(bobJoin.status).toBe("CHANNEL_ERROR");
    expect(bobJoin.error?.message).toBe(reason);

    const anon = track(realtimeClient(standIn.url));
    const anonJoin = await follow(anon, `session:${aliceSession()}`).joined;
    expect(anonJoin.status).toBe("CHANNEL_ERROR");
    expect(anonJoin.error?.message).toBe(reason);
    expect(standInLog.some((line) => line.startsWith("join refused") && line.includes(aliceSession()))).toBe(
      true,
    );
  });

  test("a server send RLS would deny a user gets 403; a bad key 401", async () => {
    const bob = track(await signedIn(standIn.url, "bob@example.com"));
    await expect(
      bob.channel(`session:${aliceSession()}`, { config: { private: true } }).httpSend("log", { x: 1 }),
    ).rejects.toThrow("Unauthorized");
    const stranger = track(realtimeClient(standIn.url, "sb_secret_not_the_key"));
    await expect(
      stranger.channel(`session:${aliceSession()}`, { config: { private: true } }).httpSend("log", { x: 1 }),
    ).rejects.toThrow("Unauthorized");
  });

  test("vsn 1.0.0 and 2.0.0 clients both receive the same messages", async () => {
    const v1 = track(await signedIn(standIn.url, "alice@example.com", "1.0.0"));
    const v2 = track(await signedIn(standIn.url, "alice@example.com", "2.0.0"));
    const a = follow(v1, `session:${aliceSession()}`);
    const b = follow(v2, `session:${aliceSession()}`);
    expect((await a.joined).status).toBe("SUBSCRIBED");
    expect((await b.joined).status).toBe("SUBSCRIBED");
    const channel = serverChannel(`session:${aliceSession()}`);
    await channel.httpSend("status", { status: "completed", offset: 42 });
    await channel.httpSend("log", { from: 0, to: 3, text: "héé" });
    await waitFor(() => a.received.length === 2 && b.received.length === 2, "both clients");
    expect(a.received).toEqual(b.received);
    expect(a.received[1]?.payload).toEqual({ from: 0, to: 3, text: "héé" });
  });
});

// The project's message and connection quotas: tests/realtime/quotas.test.ts.
describe("limits like the hosted defaults", () => {
  test("a payload over 256 KB is refused with 422", async () => {
    const channel = serverChannel(`session:${aliceSession()}`);
    await expect(channel.httpSend("log", { text: "x".repeat(300_000) })).rejects.toThrow(/Unprocessable/);
  });
});

describe("reconnection", () => {
  test("the stand-in restarting makes the client rejoin by itself", async () => {
    const alice = track(await signedIn(standIn.url, "alice@example.com"));
    const followed = follow(alice, `session:${aliceSession()}`);
    expect((await followed.joined).status).toBe("SUBSCRIBED");
    standIn.realtime.stop();
    await waitFor(
      () => followed.statuses.includes("CHANNEL_ERROR") || standIn.realtime.connections === 0,
      "drop",
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    standIn.realtime.start();
    const channel = serverChannel(`session:${aliceSession()}`);
    // Nobody resubscribes here: supabase-js reconnects and rejoins on its own backoff.
    const deadline = Date.now() + 30_000;
    while (!followed.received.some((message) => message.event === "after-restart")) {
      if (Date.now() > deadline) throw new Error("the client never rejoined");
      await channel.httpSend("after-restart", { ok: true }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(followed.statuses.filter((status) => status === "SUBSCRIBED").length).toBeGreaterThanOrEqual(1);
  });
});

describe("token lifetime", () => {
  let shortLived: SupabaseStandIn;
  beforeAll(async () => {
    shortLived = await startSupabaseStandIn({ port: 0, databaseUrl: databaseUrl(), jwtExpirySeconds: 6 });
  });
  afterAll(async () => {
    await shortLived?.close();
  });

  test("a channel whose token expires is closed with the system message", async () => {
    const alice = track(await signedIn(shortLived.url, "alice@example.com"));
    const followed = follow(alice, `session:${aliceSession()}`);
    expect((await followed.joined).status).toBe("SUBSCRIBED");
    await waitFor(() => followed.statuses.includes("CLOSED"), "the channel to close at expiry", 15_000);
    expect(followed.system).toContainEqual(
      expect.objectContaining({
        status: "error",
        message: expect.stringMatching(/^Token has expired \d+ seconds ago$/),
      }),
    );
  });

  test("a token refresh keeps the channel past the first token's expiry", async () => {
    const alice = track(await signedIn(shortLived.url, "alice@example.com"));
    const followed = follow(alice, `session:${aliceSession()}`);
    expect((await followed.joined).status).toBe("SUBSCRIBED");
    // The first token expires 6 s after sign-in; refreshed at 3 s, the next one lasts until 9 s.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { error } = await alice.auth.refreshSession();
    expect(error).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const sender = track(realtimeClient(shortLived.url, LOCAL_SUPABASE_SECRET_KEY));
    await sender
      .channel(`session:${aliceSession()}`, { config: { private: true } })
      .httpSend("still", { here: 1 });
    await waitFor(
      () => followed.received.some((message) => message.event === "still"),
      "delivery after refresh",
    );
    expect(followed.statuses).not.toContain("CLOSED");
  });
});

describe("the user:<id> topic", () => {
  test("only that user joins it", async () => {
    const alice = track(await signedIn(standIn.url, "alice@example.com"));
    expect((await follow(alice, `user:${ALICE_ID}`).joined).status).toBe("SUBSCRIBED");
    const bob = track(await signedIn(standIn.url, "bob@example.com"));
    const bobJoin = await follow(bob, `user:${ALICE_ID}`).joined;
    expect(bobJoin.status).toBe("CHANNEL_ERROR");
    expect(bobJoin.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: user:${ALICE_ID}`,
    );
    const anon = track(realtimeClient(standIn.url));
    expect((await follow(anon, `user:${ALICE_ID}`).joined).status).toBe("CHANNEL_ERROR");
  });
});
