import { errors as undiciErrors } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { classifyAgentFailure } from "../../lib/agent/agent-failure.ts";
import { agentNetworkError } from "../../lib/agent/agent-http-error.ts";
import { type AgentEvent, AgentHttpError, streamAgent } from "../../lib/agent/index.ts";
import { openResponsesTransport } from "../../lib/agent/transports/openresponses.ts";
import { seamJoiner } from "../../lib/session/seam-joiner.ts";
import { waitFor } from "../support/api.ts";
import { type SimulatorFixture, simRequest, startSimulatorWithAgents } from "./support/simulator-agents.ts";

let fixture: SimulatorFixture;
beforeAll(async () => {
  fixture = await startSimulatorWithAgents();
});
afterAll(async () => {
  await fixture?.simulator.close();
});

/** Every event of one run of the OpenClaw agent asked `sim` (a `#sim` line's settings). */
async function clawEvents(sim: string): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of streamAgent(fixture.agents.openclaw, simRequest(sim))) events.push(event);
  return events;
}

describe("the simulator's /openclaw front door behaves as the gateway does", () => {
  it("holds trailing whitespace back: every delta ends in a non-space, and a completed run is still exact", async () => {
    const events = await clawEvents("tokens=300 rate=0 seed=held");
    const texts = events.flatMap((event) => (event.type === "text" ? [event.text] : []));
    expect(texts.join("")).toBe(simulatedText("held", 300));
    // Only the message's last delta (the flush at its end) may carry whitespace at its end.
    for (const text of texts.slice(0, -1)) expect(text).toBe(text.trimEnd());
  });

  it("drops the held-back whitespace and sends no usage when the run is aborted", async () => {
    const abort = new AbortController();
    let text = "";
    let usage = false;
    for await (const event of streamAgent(
      fixture.agents.openclaw,
      simRequest("tokens=2000 rate=200 seed=cut"),
      {
        signal: abort.signal,
      },
    )) {
      if (event.type === "text") text += event.text;
      if (event.type === "usage") usage = true;
      if (text.length > 300) abort.abort();
    }
    expect(text).toBe(text.trimEnd());
    expect(simulatedText("cut", 2000).startsWith(text)).toBe(true);
    expect(usage).toBe(false);
  });

  it("rejects a model that is no agent target with 400, which blames the agent's configuration, not the user", async () => {
    const agent = { ...fixture.agents.openclaw, model: "gpt-4o" };
    const error = await (async () => {
      try {
        for await (const _ of streamAgent(agent, simRequest("tokens=5"))) {
          // Not reached.
        }
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AgentHttpError);
    expect((error as AgentHttpError).status).toBe(400);
    expect(classifyAgentFailure(agent.name, error as AgentHttpError).code).toBe("bad_gateway:agent_request");
  });
});

describe("error codes that blame the right party", () => {
  it.each([
    [{ status: 401, code: "unauthorized" }, "bad_gateway:agent_auth"],
    [{ status: 403, code: "forbidden" }, "bad_gateway:agent_auth"],
    [{ status: 400, code: "bad_request" }, "bad_gateway:agent_request"],
    [{ status: 404, code: "not_found" }, "bad_gateway:agent_request"],
    [{ status: 429, code: "rate_limited" }, "service_unavailable:agent_rate_limited"],
    [{ status: 529, code: "overloaded" }, "service_unavailable:agent_overloaded"],
    [{ status: 0, code: "network" }, "service_unavailable:agent_unreachable"],
    [{ status: 500, code: "server_error" }, "bad_gateway:agent_error"],
    [{ code: "overloaded_error" }, "service_unavailable:agent_overloaded"],
    [{ code: "malformed_frame" }, "bad_gateway:agent_protocol"],
    [{ code: "stream_truncated" }, "bad_gateway:agent_stream_ended"],
  ] as const)("%j → %s", (failure, code) => {
    const classified = classifyAgentFailure("claw", {
      ...failure,
      message: "Agent claw answered: secret words",
    });
    expect(classified.code).toBe(code);
    expect(classified.message).toContain('"claw"');
    expect(classified.message).not.toContain("secret words");
  });
});

describe("the simulator's /openclaw keeps a transcript per session key, as the gateway does", () => {
  const transcriptOf = async (key: string) => {
    const response = await fetch(
      `${fixture.simulator.url}/openclaw/debug/sessions/${encodeURIComponent(key)}`,
    );
    return response.status === 200
      ? ((await response.json()) as { messages: unknown[] }).messages
      : response.status;
  };

  it("appends each request's input and completed answers; an aborted answer is dropped; no key, no memory", async () => {
    const key = `test:${Math.random()}`;
    const first = {
      messages: [{ role: "user" as const, content: "#sim tokens=5 rate=0 seed=t1\nOne" }],
      sessionKey: key,
    };
    for await (const _ of streamAgent(fixture.agents.openclaw, first)) {
      // Drained: the run completes.
    }
    const abort = new AbortController();
    const second = {
      messages: [{ role: "user" as const, content: "#sim tokens=2000 rate=200 seed=t2\nTwo" }],
      sessionKey: key,
    };
    for await (const event of streamAgent(fixture.agents.openclaw, second, { signal: abort.signal }))
      if (event.type === "text") abort.abort();
    // The gateway has seen the disconnect and ended the run.
    await waitFor(async () => fixture.simulator.activity().connectionBoundRuns === 0 || undefined);
    expect(await transcriptOf(key)).toEqual([
      { role: "user", content: "#sim tokens=5 rate=0 seed=t1\nOne" },
      { role: "assistant", content: simulatedText("t1", 5) },
      { role: "user", content: "#sim tokens=2000 rate=200 seed=t2\nTwo" },
    ]);
    expect(await transcriptOf("never-used")).toBe(404);
  });
});

describe("an upstream timeout is service_unavailable:agent_timeout, not bad_gateway", () => {
  it("the gateway's `upstream provider timeout` error event mid-stream", async () => {
    const events = await clawEvents("tokens=40 rate=0 seed=slow fault=timeout@5");
    const error = events.find((event) => event.type === "error");
    expect(error).toMatchObject({
      type: "error",
      message: expect.stringContaining("upstream provider timeout"),
    });
    const raw = error as Extract<AgentEvent, { type: "error" }>;
    expect(classifyAgentFailure("claw", raw).code).toBe("service_unavailable:agent_timeout");
  });

  it.each([
    ["a connect timeout", new undiciErrors.ConnectTimeoutError()],
    ["a headers timeout", new undiciErrors.HeadersTimeoutError()],
    ["a body timeout", new undiciErrors.BodyTimeoutError()],
  ])("%s (undici's own error as fetch's cause)", (_name, cause) => {
    const failure = agentNetworkError("claw", new TypeError("fetch failed", { cause }));
    expect(classifyAgentFailure("claw", failure).code).toBe("service_unavailable:agent_timeout");
  });

  it.each([[{ status: 504, code: "server_error" }], [{ status: 408, code: "timeout" }]])("%j", (failure) => {
    expect(classifyAgentFailure("claw", { ...failure, message: "x" }).code).toBe(
      "service_unavailable:agent_timeout",
    );
  });

  it("a refused connection stays agent_unreachable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const failure = agentNetworkError("claw", new TypeError("fetch failed", { cause: refused }));
    expect(classifyAgentFailure("claw", failure).code).toBe("service_unavailable:agent_unreachable");
  });
});

describe("OpenClaw session key", () => {
  it("sends the conversation's session key and, as the gateway keeps the transcript, only the unseen messages", () => {
    const built = openResponsesTransport.buildRequest(fixture.agents.openclaw, {
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "answer" },
        { role: "user", content: "second" },
      ],
      sessionKey: "overtime:claw:conversation:c1",
      newMessagesFrom: 2,
    });
    expect(built.headers["x-openclaw-session-key"]).toBe("overtime:claw:conversation:c1");
    expect(JSON.parse(built.body!).input).toEqual([{ type: "message", role: "user", content: "second" }]);
  });
});

describe("seam joiner", () => {
  it.each([
    ["tick 9", "tick 0", " "],
    ["tick 9 ", "tick 0", ""],
    ["tick 9", " tick 0", ""],
    ["tick 9", "\n\ntick 0", ""],
    ["tick 9", ", then", ""],
    ["tick 9", "(note)", " "],
    ["", "tick 0", ""],
  ])("%j + %j joins with %j", (before, after, joiner) => {
    expect(seamJoiner(before, after)).toBe(joiner);
  });
});
