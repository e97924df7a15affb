import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { ALICE_ID, insertSession } from "../realtime/fixture.ts";
import { signIn } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { stack, sql, token } = withStack({ sql: 2, signIn: "alice@example.com" });

const post = (path: string, bearer: string) =>
  fetch(`${stack.appUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${bearer}` } });

/** Seconds the session's watch still lasts (null: never watched). */
async function watchLeft(sessionId: string): Promise<number | null> {
  const [row] = await sql`
    select extract(epoch from watched_until - now())::float8 as left from sessions where id = ${sessionId}`;
  return row?.left ?? null;
}

describe("POST /api/sessions/:id/watch and /api/sessions/watch (who is watching)", () => {
  test("the owner's watch is 204 and lasts a minute; another user's session, an unknown id and a malformed one are the same 404", async () => {
    const sessionId = await insertSession(sql, ALICE_ID);
    expect(await watchLeft(sessionId)).toBeNull();

    const watched = await post(`/api/sessions/${sessionId}/watch`, token());
    expect(watched.status).toBe(204);
    expect(await watched.text()).toBe("");
    const left = await watchLeft(sessionId);
    expect(left).toBeGreaterThan(50);
    expect(left).toBeLessThanOrEqual(60);

    const bob = await signIn(stack.supabaseUrl, "bob@example.com");
    await sql`update sessions set watched_until = null where id = ${sessionId}`;
    const answers = [];
    for (const id of [sessionId, randomUUID(), "not-a-session"]) {
      const response = await post(`/api/sessions/${id}/watch`, bob);
      answers.push({ status: response.status, body: await response.json() });
    }
    expect(answers[0]).toEqual({
      status: 404,
      body: { code: "not_found:session", message: "Session not found." },
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await watchLeft(sessionId)).toBeNull();

    expect((await post(`/api/sessions/${sessionId}/watch`, "")).status).toBe(401);
    const wrongMethod = await fetch(`${stack.appUrl}/api/sessions/${sessionId}/watch`, {
      headers: { authorization: `Bearer ${token()}` },
    });
    expect(wrongMethod.status).toBe(405);
  });

  test("a catch-up read (?follow=0) counts as one watch", async () => {
    const sessionId = await insertSession(sql, ALICE_ID);
    const read = await fetch(`${stack.appUrl}/api/sessions/${sessionId}/stream?offset=0&follow=0`, {
      headers: { authorization: `Bearer ${token()}` },
    });
    expect(read.status).toBe(200);
    await read.text();
    expect(await watchLeft(sessionId)).toBeGreaterThan(50);
  });

  test("a held tail (the stream following a running session, either format) is a watch while it stays open", async () => {
    for (const path of ["/api/sessions/{id}/stream?offset=0", "/api/chat/{id}/stream"]) {
      const sessionId = await insertSession(sql, ALICE_ID);
      const reader = new AbortController();
      const tail = await fetch(`${stack.appUrl}${path.replace("{id}", sessionId)}`, {
        headers: { authorization: `Bearer ${token()}` },
        signal: reader.signal,
      });
      expect(tail.status).toBe(200);
      // The session is running and never ends here: the tail stays open while the watch is read.
      let left: number | null = null;
      for (let tries = 0; tries < 50 && left === null; tries++) {
        left = await watchLeft(sessionId);
        if (left === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(left, path).toBeGreaterThan(50);
      reader.abort();
      await tail.body?.cancel().catch(() => {});
    }
  });

  test("the sessions list's watch is 204, recorded per user", async () => {
    await sql`delete from session_list_watches where user_id = ${ALICE_ID}`;
    const response = await post("/api/sessions/watch", token());
    expect(response.status).toBe(204);
    const rows = await sql`
      select user_id from session_list_watches where user_id = ${ALICE_ID} and watched_until > now() + interval '50 seconds'`;
    expect(rows).toHaveLength(1);
    expect((await post("/api/sessions/watch", "")).status).toBe(401);
  });
});
