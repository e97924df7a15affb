import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase } from "../support/database.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";
const BOB = "b0b00000-0000-4000-8000-000000000002";

const database = await createTestDatabase();
const sql = postgres(database.url, { max: 2, onnotice: () => {} });
const ids = { conversation: randomUUID(), session: randomUUID(), message: randomUUID() };

const tables = [
  "profiles",
  "conversations",
  "messages",
  "sessions",
  "session_chunks",
  "credit_ledger",
  "notifications",
  "telegram_links",
  "telegram_link_tokens",
] as const;

/** Runs `query` as the `authenticated` role with Supabase-shaped JWT claims, in a rolled-back transaction. */
async function asUser<T>(
  userId: string | null,
  query: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      const claims = userId ? { sub: userId, role: "authenticated", aud: "authenticated" } : { role: "anon" };
      await tx`select set_config('role', ${userId ? "authenticated" : "anon"}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      result = await query(tx);
      throw new RollbackSignal();
    })
    .catch((error) => {
      if (!(error instanceof RollbackSignal)) throw error;
    });
  return result as T;
}
class RollbackSignal extends Error {}

beforeAll(async () => {
  await sql`insert into conversations (id, user_id, title) values (${ids.conversation}, ${ALICE}, 'Alice chat')`;
  await sql`insert into sessions (id, user_id, conversation_id, agent, status)
            values (${ids.session}, ${ALICE}, ${ids.conversation}, 'sim-openclaw', 'completed')`;
  await sql`insert into messages (id, conversation_id, user_id, role, content)
            values (${ids.message}, ${ids.conversation}, ${ALICE}, 'user', 'hello')`;
  await sql`insert into session_chunks (session_id, start_offset, end_offset, text, epoch)
            values (${ids.session}, 0, 5, 'hello', 1)`;
  await sql`insert into notifications (user_id, session_id, channel, kind)
            values (${ALICE}, ${ids.session}, 'email', 'completed')`;
  await sql`insert into telegram_links (user_id, chat_id) values (${ALICE}, 4242)
            on conflict (user_id) do nothing`;
  await sql`insert into telegram_link_tokens (token_hash, user_id, expires_at)
            values (${randomUUID()}, ${ALICE}, now() + interval '1 hour')`;
});

afterAll(async () => {
  await sql.end();
  await database.drop();
});

describe("row level security", () => {
  test("every public table has RLS enabled", async () => {
    const rows = await sql<{ relname: string; relrowsecurity: boolean }[]>`
      select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'`;
    expect(rows.length).toBeGreaterThanOrEqual(tables.length);
    for (const row of rows) expect(row, row.relname).toMatchObject({ relrowsecurity: true });
  });

  test.each(tables)("Alice sees her own rows in %s", async (table) => {
    const count = await asUser(ALICE, async (tx) => {
      const [row] = await tx`select count(*)::int as n from ${tx(table)}`;
      return row?.n as number;
    });
    expect(count).toBeGreaterThan(0);
  });

  test.each(tables)("Bob cannot see Alice's rows in %s", async (table) => {
    const count = await asUser(BOB, async (tx) => {
      const column = table === "session_chunks" ? "session_id" : "user_id";
      const filter = table === "session_chunks" ? ids.session : ALICE;
      const [row] = await tx`select count(*)::int as n from ${tx(table)} where ${tx(column)} = ${filter}`;
      return row?.n as number;
    });
    expect(count).toBe(0);
  });

  test.each(tables)("anon sees nothing in %s", async (table) => {
    await expect(
      asUser(null, async (tx) => {
        const [row] = await tx`select count(*)::int as n from ${tx(table)}`;
        return row?.n as number;
      }),
    ).rejects.toThrow(/permission denied/);
  });

  test("users cannot write rows directly, even their own", async () => {
    await expect(
      asUser(
        ALICE,
        (tx) => tx`insert into credit_ledger (user_id, amount, kind, idempotency_key)
                                 values (${ALICE}, 1000000, 'grant', ${randomUUID()})`,
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asUser(ALICE, (tx) => tx`update sessions set status = 'cancelled' where id = ${ids.session}`),
    ).rejects.toThrow(/permission denied/);
  });
});

describe("realtime authorization", () => {
  /**
   * What Realtime does on a private join: in one rolled-back transaction it inserts a probe message as
   * its admin role, then switches to the user's role and claims with the topic set, and reads it back.
   */
  async function canJoin(userId: string, topic: string): Promise<boolean> {
    let visible = false;
    await sql
      .begin(async (tx) => {
        await tx`insert into realtime.messages (topic, extension, event, private) values (${topic}, 'broadcast', 'join', true)`;
        const claims = { sub: userId, role: "authenticated", aud: "authenticated" };
        await tx`select set_config('role', 'authenticated', true),
                        set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                        set_config('realtime.topic', ${topic}, true)`;
        const rows =
          await tx`select 1 from realtime.messages where topic = ${topic} and extension = 'broadcast'`;
        visible = rows.length > 0;
        throw new RollbackSignal();
      })
      .catch((error) => {
        if (!(error instanceof RollbackSignal)) throw error;
      });
    return visible;
  }

  test("only the owner passes the policy for her session's topic", async () => {
    expect(await canJoin(ALICE, `session:${ids.session}`)).toBe(true);
    expect(await canJoin(BOB, `session:${ids.session}`)).toBe(false);
  });

  test("an unknown or malformed session topic is refused", async () => {
    expect(await canJoin(ALICE, `session:${randomUUID()}`)).toBe(false);
    expect(await canJoin(ALICE, "session:not-a-uuid")).toBe(false);
    expect(await canJoin(ALICE, "other:topic")).toBe(false);
  });
});
