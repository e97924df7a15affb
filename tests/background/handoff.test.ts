import { expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { readSse, textOfDeltas, waitFor } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { sql, user: alice } = withStack({
  env: { LIVE_BUDGET_SECONDS: "3", LEASE_SECONDS: "5" },
  worker: "stack",
  sql: 2,
  signIn: "alice@example.com",
});

test("a detachable agent hands off at the budget: handoff event, then the stream endpoint delivers the rest, byte for byte", async () => {
  const seed = "handoff";
  const live = await readSse(
    await alice.chat({ message: `#sim tokens=3000 rate=300 seed=${seed}`, agent: "sim-openai-bg" }),
  );
  const sessionId = JSON.parse(live[0]!.data).sessionId as string;
  const handoff = live.at(-1)!;
  expect(handoff.event).toBe("handoff");
  const { status, offset } = JSON.parse(handoff.data) as { status: string; offset: number };
  expect(status).toBe("background");
  const liveText = textOfDeltas(live);
  expect(Buffer.byteLength(liveText)).toBe(offset);
  expect(offset).toBeGreaterThan(0);

  const rest = await readSse(await alice.stream(sessionId, `?offset=${offset}`));
  expect(rest.at(-1)?.event).toBe("done");
  const truth = simulatedText(seed, 3000);
  expect(liveText + textOfDeltas(rest, offset)).toBe(truth);

  const snapshot = await (await alice.snapshot(sessionId)).json();
  expect(snapshot).toMatchObject({ status: "completed", runner: "worker", output: truth });

  // Exactly one runner wrote each chunk: the live one (epoch 1) up to the handoff, then the worker.
  const chunks = await sql<{ start_offset: string; end_offset: string; epoch: number }[]>`
    select start_offset, end_offset, epoch from session_chunks where session_id = ${sessionId} order by start_offset`;
  let expectedStart = 0;
  for (const chunk of chunks) {
    expect(Number(chunk.start_offset)).toBe(expectedStart);
    expectedStart = Number(chunk.end_offset);
    expect(chunk.epoch).toBe(Number(chunk.start_offset) < offset ? 1 : 3);
  }
  expect(new Set(chunks.map((chunk) => chunk.epoch))).toEqual(new Set([1, 3]));
});

test("a connection-bound agent at the budget is interrupted and continued in the background with a seam", async () => {
  const seed = "seam";
  const live = await readSse(
    await alice.chat({ message: `#sim tokens=3000 rate=300 seed=${seed}`, agent: "sim-chat" }),
  );
  const sessionId = JSON.parse(live[0]!.data).sessionId as string;
  expect(live.at(-1)?.event).toBe("handoff");
  const offset = JSON.parse(live.at(-1)!.data).offset as number;
  const liveText = textOfDeltas(live);
  const snapshot = await waitFor(async () => {
    const body = await (await alice.snapshot(sessionId)).json();
    return body.status === "completed" ? body : undefined;
  }, 60_000);
  // Already-streamed output is never lost; the continuation follows the recorded seam.
  expect(snapshot.output.startsWith(liveText)).toBe(true);
  expect(snapshot.seams).toEqual([offset]);
  expect(snapshot.offset).toBeGreaterThan(offset);
  const truth = simulatedText(seed, 3000);
  expect(truth.startsWith(liveText)).toBe(true);
});
