import { expect, test } from "vitest";
import { api, signIn, waitFor } from "../support/api.ts";
import { userWithCredits, withStack } from "../support/fixtures.ts";

// Admission (live-session limit, request rate, minimum balance) is decided atomically per user:
// every request of a burst is fired at once, and the limits must hold exactly.
const { stack, sql } = withStack({
  env: { MAX_LIVE_SESSIONS_PER_USER: "4", CHAT_REQUESTS_PER_MINUTE: "30", MIN_CREDITS_TO_START: "1" },
  sql: 2,
});

const freshUser = (credits: number) => userWithCredits({ stack, sql }, credits, "burst");

async function burst(fire: () => Promise<Response>, count: number) {
  const responses = await Promise.all(Array.from({ length: count }, fire));
  const bodies = await Promise.all(
    responses.map(async (response) => {
      if (response.status === 200) {
        // A live SSE: the session id is in the first event; drop the connection (the runner goes on).
        const reader = response.body!.getReader();
        const { value } = await reader.read();
        await reader.cancel();
        return { sessionId: /"sessionId":"([^"]+)"/.exec(new TextDecoder().decode(value))?.[1] };
      }
      return (await response.json()) as { code?: string; sessionId?: string };
    }),
  );
  return responses.map((response, index) => ({ status: response.status, body: bodies[index]! }));
}

/** A fresh user with `credits` firing `count` background chats at once: the results and the user. */
async function backgroundBurst(credits: number, message: string, count: number) {
  const { user, userId } = await freshUser(credits);
  return { results: await burst(() => user.chat({ message, mode: "background" }), count), userId };
}

type BurstResult = Awaited<ReturnType<typeof burst>>[number];

/** The error codes of the responses answered `status`. */
const codesOf = (results: BurstResult[], status: number) =>
  results.filter((result) => result.status === status).map((result) => result.body.code);

/** How many sessions the user has. */
async function sessionCount(userId: string): Promise<number> {
  const [row] = await sql<
    { count: number }[]
  >`select count(*)::int as count from sessions where user_id = ${userId}`;
  return row!.count;
}

test("30 concurrent live chats from one user: exactly MAX_LIVE_SESSIONS_PER_USER are accepted and live", async () => {
  const alice = api(stack.appUrl, await signIn(stack.supabaseUrl, "alice@example.com"));
  const results = await burst(
    () =>
      alice.chat({ message: `#sim tokens=400 rate=20 seed=burst\nBurst`, mode: "live", agent: "sim-chat" }),
    30,
  );
  const accepted = results.filter((result) => result.status === 200);
  expect(accepted).toHaveLength(4);
  expect(codesOf(results, 429)).toEqual(Array(26).fill("rate_limit:live_sessions"));
  const [live] = await sql<{ count: number }[]>`
    select count(*)::int as count from sessions s join auth.users u on u.id = s.user_id
    where u.email = 'alice@example.com' and s.status = 'live'`;
  expect(live!.count).toBe(4);
  await Promise.all(accepted.map((result) => alice.cancel(result.body.sessionId!)));
  // Leave nothing running behind this test.
  await waitFor(async () => {
    const [row] = await sql<{ count: number }[]>`
      select count(*)::int as count from sessions where id = any(${accepted.map((result) => result.body.sessionId!)})
        and status not in ('completed', 'failed', 'cancelled')`;
    return row!.count === 0 ? true : undefined;
  });
});

test("a fresh user with 2 credits firing 20 concurrent background chats starts exactly 2", async () => {
  const { results, userId } = await backgroundBurst(2, "#sim tokens=20 rate=0\nBackground burst", 20);
  expect(results.filter((result) => result.status === 202)).toHaveLength(2);
  expect(codesOf(results, 402)).toEqual(Array(18).fill("payment_required:credits"));
  expect(await sessionCount(userId)).toBe(2);
});

test("40 concurrent chats against CHAT_REQUESTS_PER_MINUTE = 30: exactly 30 start", async () => {
  const { results, userId } = await backgroundBurst(1000, "#sim tokens=5 rate=0\nRate burst", 40);
  expect(results.filter((result) => result.status === 202)).toHaveLength(30);
  expect(codesOf(results, 429)).toEqual(Array(10).fill("rate_limit:requests"));
  expect(await sessionCount(userId)).toBe(30);
});
