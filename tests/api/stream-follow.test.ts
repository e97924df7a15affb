import { describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { readSse, textOfDeltas, waitFor } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { sql, user: alice } = withStack({ worker: "stack", sql: 2, signIn: "alice@example.com" });

describe("GET /api/sessions/:id/stream?follow=0 (a catch-up read)", () => {
  test("on a running session it replays to the durable end and closes without waiting for more", async () => {
    const seed = "follow-0";
    const sessionId = await alice.startBackground({
      message: `#sim tokens=3000 rate=100 seed=${seed}`,
    });
    await waitFor(async () => {
      const [row] = await sql`select durable_offset from sessions where id = ${sessionId}`;
      return Number(row?.durable_offset) > 0 ? true : undefined;
    });

    const events = await readSse(await alice.stream(sessionId, "?offset=0&follow=0"));
    const [row] = await sql`select status, durable_offset from sessions where id = ${sessionId}`;
    // It closed on its own while the session still runs: no terminal event, bytes up to the durable end.
    expect(row?.status).toBe("background");
    expect(events.some((event) => event.event === "done" || event.event === "error")).toBe(false);
    const text = textOfDeltas(events);
    expect(simulatedText(seed, 3000).startsWith(text)).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(Number(row?.durable_offset));
    expect(text.length).toBeGreaterThan(0);
    await alice.cancel(sessionId);
  });

  test("on a finished session it replays and ends with the terminal event; a bad value is a 400", async () => {
    const seed = "follow-0-done";
    const response = await alice.chat({ message: `#sim tokens=200 rate=0 seed=${seed}`, mode: "background" });
    const { sessionId } = (await response.json()) as { sessionId: string };
    await readSse(await alice.stream(sessionId));
    const events = await readSse(await alice.stream(sessionId, "?offset=0&follow=0"));
    expect(events.at(-1)?.event).toBe("done");
    expect(textOfDeltas(events)).toBe(simulatedText(seed, 200));
    const bad = await alice.stream(sessionId, "?offset=0&follow=maybe");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "bad_request:follow" });
  });
});
