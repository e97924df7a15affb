import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BackgroundRun, BackgroundRuns, RETENTION_MS } from "../../dev/agent-sim/background-runs.ts";
import { ResponsesEncoder } from "../../dev/agent-sim/responses-encoder.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { streamAgent } from "../../lib/agent/index.ts";
import { collect, textOf } from "./support/event-collection.ts";
import { type SimulatorFixture, simRequest, startSimulatorWithAgents } from "./support/simulator-agents.ts";

let fixture: SimulatorFixture;
beforeAll(async () => {
  fixture = await startSimulatorWithAgents();
});
afterAll(async () => {
  await fixture.simulator.close();
});

describe("simulator capacity", () => {
  it("serves 1,000 concurrent paced streams, each with its exact text", async () => {
    const agents = Object.values(fixture.agents);
    const runs = Array.from({ length: 1000 }, async (_, index) => {
      const agent = agents[index % agents.length]!;
      const events = await collect(
        streamAgent(agent, simRequest(`tokens=20 rate=20 seed=load-${index}`), {}),
      );
      return textOf(events) === simulatedText(`load-${index}`, 20) && events.at(-1)?.type === "done";
    });
    const results = await Promise.all(runs);
    expect(results.filter((ok) => !ok)).toHaveLength(0);
    expect(fixture.simulator.activity()).toEqual({ connectionBoundRuns: 0, backgroundRuns: 0 });
  }, 60_000);
});

describe("background retention", () => {
  it("forgets a finished background response 10 minutes after it ended", () => {
    vi.useFakeTimers();
    try {
      const runs = new BackgroundRuns();
      const encoder = new ResponsesEncoder({
        model: "m",
        inputTokens: 1,
        instructions: null,
        sequenceNumbers: true,
        background: true,
        doneSentinel: false,
      });
      const run = new BackgroundRun(encoder, true, false);
      runs.add(run);
      run.finish();
      runs.retire(run);
      vi.advanceTimersByTime(RETENTION_MS - 1000);
      expect(runs.get(encoder.id)).toBe(run);
      vi.advanceTimersByTime(1000);
      expect(runs.get(encoder.id)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("OpenClaw session key", () => {
  it("sends x-openclaw-session-key (the gateway rejects reserved prefixes, which proves it arrived)", async () => {
    const request = simRequest("tokens=5 rate=0 seed=key", { sessionKey: "cron:nightly" });
    await expect(collect(streamAgent(fixture.agents.openclaw, request, {}))).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("x-openclaw-session-key"),
    });
    const allowed = simRequest("tokens=5 rate=0 seed=key", { sessionKey: "user:42" });
    expect(textOf(await collect(streamAgent(fixture.agents.openclaw, allowed, {})))).toBe(
      simulatedText("key", 5),
    );
  });
});
