import { describe, expect, it } from "vitest";
import { simulatedPieces, simulatedText } from "../../dev/agent-sim/text.ts";
import { streamAgent } from "../../lib/agent/index.ts";
import { collect, textOf } from "./support/event-collection.ts";
import { simRequest, TRANSPORTS, withSimulatorAgents } from "./support/simulator-agents.ts";

const transports = TRANSPORTS;
const { fixture, agentOf } = withSimulatorAgents();

describe.each(transports)("%s transport against the simulator", (name) => {
  it("streams exactly the deterministic text, then usage and done", async () => {
    const events = await collect(streamAgent(agentOf(name), simRequest("tokens=150 rate=0 seed=alpha"), {}));
    expect(textOf(events)).toBe(simulatedText("alpha", 150));
    const usage = events.filter((event) => event.type === "usage").at(-1);
    // The simulator counts input tokens as the words of the request: "#sim tokens=150 rate=0
    // seed=alpha" and "Tell me a story." are 8.
    expect(usage).toMatchObject({ type: "usage", inputTokens: 8, outputTokens: 150 });
    expect(events.at(-1)).toMatchObject({ type: "done", reason: "completed" });
  });

  it("reports tool stages as progress between the text, without changing the text", async () => {
    const events = await collect(
      streamAgent(agentOf(name), simRequest("tokens=90 rate=0 seed=beta stages=3"), {}),
    );
    expect(events.filter((event) => event.type === "progress")).toEqual([
      expect.objectContaining({ stage: "tool: web_search" }),
      expect.objectContaining({ stage: "tool: read_file" }),
      expect.objectContaining({ stage: "tool: run_code" }),
    ]);
    const firstProgress = events.findIndex((event) => event.type === "progress");
    expect(textOf(events.slice(0, firstProgress))).toBe(simulatedPieces("beta", 90).slice(0, 23).join(""));
    expect(textOf(events)).toBe(simulatedText("beta", 90));
  });

  it("paces the stream at the requested rate", async () => {
    const started = performance.now();
    const events = await collect(streamAgent(agentOf(name), simRequest("tokens=20 rate=100 seed=pace"), {}));
    const elapsed = performance.now() - started;
    expect(textOf(events)).toBe(simulatedText("pace", 20));
    expect(elapsed).toBeGreaterThanOrEqual(150); // 20 tokens at 100/s: the last one is due at 190 ms
    expect(events.filter((event) => event.type === "text").length).toBeGreaterThan(3);
  });

  it("stays silent for stall=MS@T and then finishes the text (no idle timeout on our side)", async () => {
    const started = performance.now();
    const textsBeforeStall: string[] = [];
    const events = [];
    for await (const event of streamAgent(
      agentOf(name),
      simRequest("tokens=12 rate=0 seed=stall stall=600@5"),
      {},
    )) {
      events.push(event);
      if (event.type === "text" && performance.now() - started < 500) textsBeforeStall.push(event.text);
    }
    // Timing is asserted only where load cannot shrink it: the whole run includes the silence.
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
    expect(textsBeforeStall.join("")).toBe(simulatedPieces("stall", 12).slice(0, 5).join(""));
    expect(textOf(events)).toBe(simulatedText("stall", 12));
  });

  it("ends promptly without an error event when the caller aborts", async () => {
    const abort = new AbortController();
    const events = [];
    const started = performance.now();
    for await (const event of streamAgent(agentOf(name), simRequest("tokens=400 rate=10 seed=slow"), {
      signal: abort.signal,
    })) {
      events.push(event);
      if (event.type === "text") abort.abort();
    }
    expect(performance.now() - started).toBeLessThan(2000);
    expect(events.some((event) => event.type === "error")).toBe(false);
  });

  it("gives the same text whatever the other messages, system prompt and model", async () => {
    const agent = { ...agentOf(name), model: `${agentOf(name).model}-other` };
    const request = simRequest("tokens=40 rate=0 seed=same", {
      system: "You are terse.",
      messages: [
        { role: "user", content: "Earlier question with ünïcödé" },
        { role: "assistant", content: "Earlier answer" },
        { role: "user", content: "#sim tokens=40 rate=0 seed=same\nAnd now?" },
      ],
    });
    expect(textOf(await collect(streamAgent(agent, request, {})))).toBe(simulatedText("same", 40));
  });
});

describe("simulator defaults", () => {
  it("derives the seed from the message text when there is no #sim line", async () => {
    const request = { messages: [{ role: "user" as const, content: "Plain question" }] };
    const first = await collect(streamAgent(fixture.agents.chat, request, {}));
    expect(textOf(first)).toBe(simulatedText("Plain question", 400));
  }, 20_000);
});
