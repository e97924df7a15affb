import { randomUUID } from "node:crypto";
import {
  createClient,
  type REALTIME_SUBSCRIBE_STATES,
  type RealtimeChannel,
  type SupabaseClient,
} from "@supabase/supabase-js";
import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import {
  type SupabaseStandIn,
  type SupabaseStandInOptions,
  startSupabaseStandIn,
} from "../../dev/auth/server.ts";
import { createTestDatabase } from "../support/database.ts";
import { AWAITING_RUNNER, startTestSession } from "../support/session-fixture.ts";

export const ALICE_ID = "a11ce000-0000-4000-8000-000000000001";
export const PASSWORD = "overtime-dev";
export const ANON_KEY = "sb_publishable_overtime_test";

/** A supabase-js client as a Node server or a test uses it (no persistence, no timers). */
export function realtimeClient(url: string, key = ANON_KEY, vsn?: "1.0.0" | "2.0.0"): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: vsn ? { vsn } : {},
  });
}

export async function signedIn(url: string, email: string, vsn?: "1.0.0" | "2.0.0"): Promise<SupabaseClient> {
  const client = realtimeClient(url, ANON_KEY, vsn);
  const { error } = await client.auth.signInWithPassword({ email, password: PASSWORD });
  if (error) throw error;
  return client;
}

/** A session row of `userId`, so the `session:<id>` policy has something to check. */
export async function insertSession(sql: postgres.Sql, userId: string): Promise<string> {
  const conversation = randomUUID();
  const session = randomUUID();
  await sql`insert into conversations (id, user_id, title) values (${conversation}, ${userId}, 'realtime test')`;
  await sql`insert into sessions (id, user_id, conversation_id, agent, status)
            values (${session}, ${userId}, ${conversation}, 'sim-openclaw', 'background')`;
  return session;
}

/** A background session of Alice's waiting for a runner, asking the simulator `message`. */
export async function newBackgroundSession(
  sql: postgres.Sql,
  message: string,
  title: string,
): Promise<string> {
  const started = await startTestSession(sql, {
    userId: ALICE_ID,
    title,
    message,
    agent: "sim-openclaw",
    ...AWAITING_RUNNER,
    leaseSeconds: 10,
  });
  return started.sessionId;
}

export interface Followed {
  channel: RealtimeChannel;
  received: { event: string; payload: Record<string, unknown> }[];
  system: Record<string, unknown>[];
  statuses: string[];
  /** The first outcome of the join: SUBSCRIBED, or CHANNEL_ERROR with the server's reason. */
  joined: Promise<{ status: `${REALTIME_SUBSCRIBE_STATES}`; error?: Error }>;
}

/** Subscribes to a private topic, recording every broadcast and `system` message. */
export function follow(client: SupabaseClient, topic: string, isPrivate = true): Followed {
  const received: Followed["received"] = [];
  const system: Followed["system"] = [];
  const statuses: string[] = [];
  const channel = client.channel(topic, { config: { private: isPrivate } });
  channel.on("broadcast", { event: "*" }, (message) => {
    received.push({ event: message.event, payload: message.payload as Record<string, unknown> });
  });
  channel.on("system", {}, (message) => system.push(message as Record<string, unknown>));
  const joined = new Promise<{ status: `${REALTIME_SUBSCRIBE_STATES}`; error?: Error }>((resolve) => {
    channel.subscribe((status, error) => {
      statuses.push(status);
      if (status !== "CLOSED") resolve({ status, error });
    });
  });
  return { channel, received, system, statuses, joined };
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function closeClient(client: SupabaseClient): Promise<void> {
  await client.removeAllChannels();
  client.realtime.disconnect();
}

/** What a file that tests the Supabase stand-in's Realtime on its own works with. */
export interface StandInFixture {
  databaseUrl(): string;
  /** A session of Alice's (`session:<id>` is hers to join). */
  aliceSession(): string;
  /** Keeps a client to close after the file's tests. */
  track<T extends SupabaseClient>(client: T): T;
  /** A stand-in on the file's database, closed after the file's tests (after the clients). */
  startStandIn(options?: Omit<SupabaseStandInOptions, "port" | "databaseUrl">): Promise<SupabaseStandIn>;
}

/**
 * A database of the file's own with a session of Alice's, created before the file's tests; after them
 * the tracked clients, then the stand-ins, then the database are closed.
 */
export function withStandInDatabase(): StandInFixture {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let sql: postgres.Sql | undefined;
  let aliceSession: string | undefined;
  const clients: SupabaseClient[] = [];
  const standIns: SupabaseStandIn[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    aliceSession = await insertSession(sql, ALICE_ID);
  });
  afterAll(async () => {
    for (const client of clients) await closeClient(client).catch(() => {});
    for (const started of standIns) await started.close();
    await sql?.end();
    await database?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the stand-in database is created in beforeAll");
    return value;
  };
  return {
    databaseUrl: () => ready(database).url,
    aliceSession: () => ready(aliceSession),
    track: (client) => {
      clients.push(client);
      return client;
    },
    startStandIn: async (options = {}) => {
      const started = await startSupabaseStandIn({ ...options, port: 0, databaseUrl: ready(database).url });
      standIns.push(started);
      return started;
    },
  };
}
