import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedPieces, simulatedText } from "../../dev/agent-sim/text.ts";
import {
  type AgentCursor,
  type AgentEvent,
  cancelAgentRun,
  isDetachable,
  streamAgent,
} from "../../lib/agent/index.ts";
import { collect, textOf } from "./support/event-collection.ts";
import { type SimulatorFixture, simRequest, startSimulatorWithAgents } from "./support/simulator-agents.ts";

let fixture: SimulatorFixture;
beforeAll(async () => {
  fixture = await startSimulatorWithAgents();
});
afterAll(async () => {
  await fixture.simulator.close();
});

/** Wire-level errors after which the provider's run is unharmed and can be re-attached. */
const reattachable = new Set(["connection_lost", "stream_truncated", "malformed_frame"]);

/** What a runner does: stream, and after a wire-level error with a cursor, re-attach there. */
async function streamWithReattach(
  directives: string,
): Promise<{ events: AgentEvent[]; attachments: number }> {
  const agent = fixture.agents.background;
  const events: AgentEvent[] = [];
  let cursor: AgentCursor | undefined;
  let attachments = 0;
  while (attachments < 10) {
    attachments++;
    let last: AgentEvent | undefined;
    for await (const event of streamAgent(agent, simRequest(directives), cursor ? { cursor } : {})) {
      events.push(event);
      last = event;
      if (event.cursor) cursor = event.cursor;
    }
    if (last?.type !== "error" || !reattachable.has(last.code) || !cursor) break;
  }
  return { events, attachments };
}

describe("openai-background transport", () => {
  it("is the only detachable transport", () => {
    expect(Object.values(fixture.agents).map((agent) => [agent.transport, isDetachable(agent)])).toEqual([
      ["openresponses", false],
      ["openai-background", true],
      ["chat-completions", false],
      ["anthropic", false],
    ]);
  });

  it("puts the cursor (response id, increasing sequence number) on every event", async () => {
    const events = await collect(
      streamAgent(fixture.agents.background, simRequest("tokens=40 rate=0 seed=c"), {}),
    );
    expect(events.every((event) => event.cursor?.responseId.startsWith("resp_"))).toBe(true);
    const numbers = events.map((event) => event.cursor!.sequenceNumber);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(events.map((event) => event.cursor!.responseId)).size).toBe(1);
  });

  it("re-attaches after fault=drop@T at its cursor and ends with exactly the non-streamed text", async () => {
    const { events, attachments } = await streamWithReattach(
      "tokens=300 rate=400 seed=reattach fault=drop@50",
    );
    expect(attachments).toBe(2);
    expect(events.filter((event) => event.type === "error")).toEqual([
      expect.objectContaining({ code: "connection_lost", retryable: true }),
    ]);
    expect(textOf(events)).toBe(simulatedText("reattach", 300));
    expect(events.at(-1)).toMatchObject({ type: "done", reason: "completed" });
  });

  it("re-attaches after fault=malformed@T and loses nothing", async () => {
    const { events } = await streamWithReattach("tokens=80 rate=0 seed=garbled fault=malformed@20");
    expect(events.find((event) => event.type === "error")).toMatchObject({ code: "malformed_frame" });
    expect(textOf(events)).toBe(simulatedText("garbled", 80));
  });

  it("re-attaching after our own abort continues exactly where the cursor points", async () => {
    const agent = fixture.agents.background;
    const abort = new AbortController();
    const first: AgentEvent[] = [];
    for await (const event of streamAgent(agent, simRequest("tokens=120 rate=200 seed=resume"), {
      signal: abort.signal,
    })) {
      first.push(event);
      if (first.filter((candidate) => candidate.type === "text").length === 5) abort.abort();
    }
    const cursor = first.at(-1)!.cursor!;
    const rest = await collect(streamAgent(agent, simRequest("ignored on re-attach"), { cursor }));
    expect(textOf(first) + textOf(rest)).toBe(simulatedText("resume", 120));
    expect(rest.at(-1)).toMatchObject({ type: "done", reason: "completed" });
  });

  it("cancelAgentRun cancels the provider run; a reader gets done cancelled; cancelling again is harmless", async () => {
    const agent = fixture.agents.background;
    const events: AgentEvent[] = [];
    for await (const event of streamAgent(agent, simRequest("tokens=400 rate=50 seed=stop"), {})) {
      events.push(event);
      if (events.filter((candidate) => candidate.type === "text").length === 2) {
        await cancelAgentRun(agent, event.cursor);
      }
    }
    expect(events.at(-1)).toMatchObject({ type: "done", reason: "cancelled" });
    await expect(cancelAgentRun(agent, events.at(-1)!.cursor)).resolves.toBeUndefined();
    expect(fixture.simulator.activity().backgroundRuns).toBe(0);
  });

  it("a provider failure ends the background run: re-attaching replays the same failure", async () => {
    const { events, attachments } = await streamWithReattach("tokens=30 rate=0 seed=doomed fault=failed@10");
    expect(attachments).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "server_error" });
    const again = await collect(
      streamAgent(fixture.agents.background, simRequest("x"), { cursor: events[0]!.cursor! }),
    );
    expect(again.at(-1)).toMatchObject({ type: "error", code: "server_error" });
    expect(textOf(events)).toBe(simulatedPieces("doomed", 30).slice(0, 10).join(""));
  });

  it("cancelAgentRun is a no-op for connection-bound transports and without a cursor", async () => {
    await expect(
      cancelAgentRun(fixture.agents.openclaw, { responseId: "x", sequenceNumber: 1 }),
    ).resolves.toBeUndefined();
    await expect(cancelAgentRun(fixture.agents.background, undefined)).resolves.toBeUndefined();
  });

  it("re-attaching to an unknown (expired) response is a 404 AgentHttpError", async () => {
    const cursor = { responseId: "resp_gone", sequenceNumber: 3 };
    const error = await collect(streamAgent(fixture.agents.background, simRequest("x"), { cursor })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ name: "AgentHttpError", status: 404, code: "not_found", retryable: false });
  });

  it("refuses a cursor for a transport that cannot re-attach", async () => {
    const cursor = { responseId: "resp_1", sequenceNumber: 3 };
    const error = await collect(streamAgent(fixture.agents.chat, simRequest("x"), { cursor })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "bad_request:agent_cursor" });
  });
});
