import { describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { readSse, textOfDeltas, waitFor } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { sql, user: alice } = withStack({
  env: { CHAT_REQUESTS_PER_MINUTE: "1000", MAX_LIVE_SESSIONS_PER_USER: "50" },
  sql: 2,
  signIn: "alice@example.com",
});

const agents = ["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"] as const;

/**
 * What the simulator reports for the message below and what it costs at each agent's model price:
 * input tokens are the request's words (the `#sim` line and "Tell me a story." are 9), output
 * tokens are exactly `tokens=300`.
 */
const USAGE = { inputTokens: 9, outputTokens: 300 };
const COST_USD: Record<(typeof agents)[number], number> = {
  "sim-openclaw": (9 * 3 + 300 * 15) / 1e6, // openclaw/default: $3 in, $15 out per million
  "sim-openai-bg": (9 * 0.25 + 300 * 2) / 1e6, // gpt-5-mini
  "sim-chat": (9 * 0.4 + 300 * 1.6) / 1e6, // gpt-4.1-mini
  "sim-anthropic": (9 * 3 + 300 * 15) / 1e6, // claude-sonnet-4-5
};

/** A live chat of its own, run to its end; every test below starts from one. */
async function completedChat(agent: string, seed: string) {
  const message = `#sim tokens=300 rate=0 seed=${seed} stages=2\nTell me a story.`;
  const response = await alice.chat({ message, agent });
  const events = await readSse(response);
  expect(events[0]?.event).toBe("session");
  const sessionId = JSON.parse(events[0]!.data).sessionId as string;
  expect(events.at(-1)?.event).toBe("done");
  return { response, events, sessionId, truth: simulatedText(seed, 300) };
}

describe.each(agents)("a live chat with %s", (agent) => {
  test("streams exactly the simulator's text, with byte offsets as ids, then done", async () => {
    const { response, events, truth } = await completedChat(agent, `live-${agent}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-store, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    expect(textOfDeltas(events)).toBe(truth);
    expect(events.some((event) => event.event === "progress")).toBe(true);
    const body = JSON.parse(events.at(-1)!.data);
    expect(body).toMatchObject({ status: "completed", offset: Buffer.byteLength(truth), usage: USAGE });
    expect(body.costUsd).toBeCloseTo(COST_USD[agent], 12);
  });

  test("the snapshot and a full replay return the same bytes", async () => {
    const { sessionId, truth } = await completedChat(agent, `snapshot-${agent}`);
    const snapshot = await (await alice.snapshot(sessionId)).json();
    expect(snapshot).toMatchObject({ id: sessionId, status: "completed", agent, output: truth });
    expect(snapshot.offset).toBe(Buffer.byteLength(truth));
    const replay = await readSse(await alice.stream(sessionId));
    expect(textOfDeltas(replay)).toBe(truth);
    expect(replay.at(-1)?.event).toBe("done");
  });

  test("a replay from a middle offset returns exactly the suffix", async () => {
    const { sessionId, truth } = await completedChat(agent, `suffix-${agent}`);
    const bytes = Buffer.from(truth, "utf8");
    // The first character boundary at or after the middle.
    let middle = Math.floor(bytes.length / 2);
    while (((bytes[middle] ?? 0) & 0xc0) === 0x80) middle++;
    const replay = await readSse(await alice.stream(sessionId, `?offset=${middle}`));
    expect(textOfDeltas(replay, middle)).toBe(bytes.subarray(middle).toString("utf8"));
  });

  test("the final message is saved once with token counts and cost, and one debit is metered", async () => {
    const { sessionId, truth } = await completedChat(agent, `saved-${agent}`);
    const messages = await sql`
      select content, conversation_id, input_tokens, output_tokens, cost_usd from messages where session_id = ${sessionId}`;
    expect(messages).toHaveLength(1);
    // The text is stored once, in the log: the message points at the session and holds none.
    expect(messages[0]).toMatchObject({
      content: null,
      input_tokens: USAGE.inputTokens,
      output_tokens: USAGE.outputTokens,
    });
    const conversation = await (await alice.conversation(messages[0]!.conversation_id)).json();
    expect(conversation.messages.at(-1)).toMatchObject({ role: "assistant", sessionId, content: truth });
    // numeric(18, 12): the sum of the runs' exact costs.
    expect(Number(messages[0]!.cost_usd)).toBeCloseTo(COST_USD[agent], 12);
    const debits = await sql`select amount from credit_ledger where session_id = ${sessionId}`;
    expect(debits).toHaveLength(1);
    // Exact: the run's cost in credits to the micro-credit, not rounded up to a whole credit.
    expect(Number(debits[0]!.amount)).toBe(-Number((COST_USD[agent] * 100).toFixed(6)));
  });
});

/** The whole live stream of one chat with `agent`. */
const chatEvents = async (message: string, agent: string) => readSse(await alice.chat({ message, agent }));

test("a client that disconnects mid-stream does not stop the session; it completes in the log", async () => {
  const seed = "disconnect";
  const controller = new AbortController();
  const response = await alice.chat(
    { message: `#sim tokens=200 rate=100 seed=${seed}` },
    { signal: controller.signal },
  );
  const events = await readSse(response, { until: (event) => event.event === "delta" });
  const sessionId = JSON.parse(events[0]!.data).sessionId as string;
  controller.abort();
  const snapshot = await waitFor(async () => {
    const body = await (await alice.snapshot(sessionId)).json();
    return body.status === "completed" ? body : undefined;
  });
  expect(snapshot.output).toBe(simulatedText(seed, 200));
  const [message] =
    await sql`select public.session_output(session_id) as content from messages where session_id = ${sessionId}`;
  expect(message?.content).toBe(simulatedText(seed, 200));
});

test("the stream endpoint tails a running session live and ends with done", async () => {
  const seed = "tail";
  const response = await alice.chat({ message: `#sim tokens=150 rate=150 seed=${seed}` });
  const first = await readSse(response, { until: (event) => event.event === "session" });
  const sessionId = JSON.parse(first[0]!.data).sessionId as string;
  const tail = await readSse(await alice.stream(sessionId, "?offset=0"));
  expect(textOfDeltas(tail)).toBe(simulatedText(seed, 150));
  expect(tail.at(-1)?.event).toBe("done");
  // Live tail: the output arrived in more than one piece while it was being produced.
  expect(tail.filter((event) => event.event === "delta").length).toBeGreaterThan(1);
});

test("a mid-stream provider error ends the session failed with its code, partial output kept", async () => {
  const seed = "fails";
  const events = await readSse(
    await alice.chat({ message: `#sim tokens=100 rate=0 seed=${seed} fault=failed@40` }),
  );
  const sessionId = JSON.parse(events[0]!.data).sessionId as string;
  const last = events.at(-1)!;
  expect(last.event).toBe("error");
  expect(JSON.parse(last.data).code).toEqual(expect.any(String));
  const snapshot = await (await alice.snapshot(sessionId)).json();
  expect(snapshot.status).toBe("failed");
  expect(snapshot.error.code).toBe(JSON.parse(last.data).code);
  expect(simulatedText(seed, 100).startsWith(snapshot.output)).toBe(true);
  expect(snapshot.output.length).toBeGreaterThan(0);
});

test("a dropped connection to a detachable agent is re-attached at the cursor: the text is still exact", async () => {
  const seed = "drop-bg";
  const events = await chatEvents(`#sim tokens=300 rate=0 seed=${seed} fault=drop@120`, "sim-openai-bg");
  expect(events.at(-1)?.event).toBe("done");
  expect(textOfDeltas(events)).toBe(simulatedText(seed, 300));
});

test("agent HTTP errors before the stream end the session failed with a typed code", async () => {
  for (const [fault, code] of [
    ["http500", "bad_gateway:agent_error"],
    ["http429", "service_unavailable:agent_rate_limited"],
  ] as const) {
    const events = await readSse(
      await alice.chat({ message: `#sim tokens=10 fault=${fault}`, agent: "sim-chat" }),
    );
    const sessionId = JSON.parse(events[0]!.data).sessionId as string;
    expect(events.at(-1)?.event).toBe("error");
    expect(JSON.parse(events.at(-1)!.data).code).toBe(code);
    const snapshot = await (await alice.snapshot(sessionId)).json();
    expect(snapshot).toMatchObject({ status: "failed", error: { code } });
  }
});

test("a malformed frame from a connection-bound agent is an error event, and the partial output is kept", async () => {
  const seed = "malformed";
  const events = await chatEvents(`#sim tokens=100 rate=0 seed=${seed} fault=malformed@30`, "sim-anthropic");
  const sessionId = JSON.parse(events[0]!.data).sessionId as string;
  expect(events.at(-1)?.event).toBe("error");
  expect(JSON.parse(events.at(-1)!.data).code).toBe("bad_gateway:agent_protocol");
  const snapshot = await (await alice.snapshot(sessionId)).json();
  expect(snapshot.status).toBe("failed");
  expect(snapshot.output.length).toBeGreaterThan(0);
  expect(simulatedText(seed, 100).startsWith(snapshot.output)).toBe(true);
});
