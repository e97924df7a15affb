import { describe, expect, it } from "vitest";
import { simulatedPieces, simulatedText } from "../../dev/agent-sim/text.ts";
import { type AgentConfig, AgentHttpError, streamAgent } from "../../lib/agent/index.ts";
import { waitFor } from "../support/api.ts";
import { collect, textOf } from "./support/event-collection.ts";
import { simRequest, TRANSPORTS, withSimulatorAgents } from "./support/simulator-agents.ts";

const transports = TRANSPORTS;
const { fixture, agentOf } = withSimulatorAgents();
const prefix = (seed: string, tokens: number, count: number) =>
  simulatedPieces(seed, tokens).slice(0, count).join("");

async function httpErrorOf(agent: AgentConfig, directives: string): Promise<AgentHttpError> {
  const error = await collect(streamAgent(agent, simRequest(directives), {})).catch(
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AgentHttpError);
  return error as AgentHttpError;
}

describe.each(transports)("%s transport: faults", (name) => {
  it("fault=drop@T ends with a retryable connection_lost after exactly T tokens", async () => {
    const events = await collect(
      streamAgent(agentOf(name), simRequest("tokens=60 rate=0 seed=drop fault=drop@17"), {}),
    );
    expect(textOf(events)).toBe(prefix("drop", 60, 17));
    expect(events.at(-1)).toMatchObject({ type: "error", code: "connection_lost", retryable: true });
  });

  it("fault=http500 throws a retryable AgentHttpError before any event", async () => {
    const error = await httpErrorOf(agentOf(name), "fault=http500");
    expect(error).toMatchObject({ status: 500, code: "server_error", retryable: true });
  });

  it("fault=http429 throws a retryable AgentHttpError carrying Retry-After", async () => {
    const error = await httpErrorOf(agentOf(name), "fault=http429");
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryable: true, retryAfterSeconds: 1 });
  });

  it("fault=malformed@T yields the first T tokens, then a malformed_frame error", async () => {
    const events = await collect(
      streamAgent(agentOf(name), simRequest("tokens=40 rate=0 seed=bad fault=malformed@9"), {}),
    );
    expect(textOf(events)).toBe(prefix("bad", 40, 9));
    // Only a detachable run can retry a garbled frame losslessly (re-attach at the cursor).
    const retryable = name === "background";
    expect(events.at(-1)).toMatchObject({ type: "error", code: "malformed_frame", retryable });
  });

  it("fault=failed@T yields the first T tokens, then the provider's retryable error event", async () => {
    const events = await collect(
      streamAgent(agentOf(name), simRequest("tokens=40 rate=0 seed=fail fault=failed@11"), {}),
    );
    expect(textOf(events)).toBe(prefix("fail", 40, 11));
    const expectedCode = name === "anthropic" ? "overloaded_error" : "server_error";
    expect(events.at(-1)).toMatchObject({ type: "error", code: expectedCode, retryable: true });
  });

  it("fault=splitutf8 still yields the exact text", async () => {
    const events = await collect(
      streamAgent(agentOf(name), simRequest("tokens=30 rate=0 seed=split fault=splitutf8"), {}),
    );
    expect(textOf(events)).toBe(simulatedText("split", 30));
    expect(events.at(-1)).toMatchObject({ type: "done", reason: "completed" });
  });

  it("a wrong token is a non-retryable 401 AgentHttpError", async () => {
    const agent = { ...agentOf(name), token: "wrong-token" };
    const error = await collect(streamAgent(agent, simRequest("tokens=5"), {})).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ status: 401, code: "unauthorized", retryable: false });
  });

  it("a bad #sim line is a 400 that names the problem", async () => {
    const error = await httpErrorOf(agentOf(name), "tokens=5 colour=blue");
    expect(error).toMatchObject({ status: 400, code: "bad_request", retryable: false });
    expect(error.message).toContain("colour");
  });
});

describe("faults on the wire", () => {
  it("fault=splitutf8 really delivers chunks that end inside a multi-byte character", async () => {
    const agent = fixture.agents.chat;
    const response = await fetch(`${agent.url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: agent.model,
        stream: true,
        messages: [{ role: "user", content: "#sim tokens=30 rate=0 seed=split fault=splitutf8" }],
      }),
    });
    const strict = new TextDecoder("utf-8", { fatal: true });
    let chunksCutInsideACharacter = 0;
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      try {
        strict.decode(read.value);
      } catch {
        chunksCutInsideACharacter++;
      }
    }
    expect(chunksCutInsideACharacter).toBeGreaterThan(0);
  });

  it("an unreachable agent is a retryable network AgentHttpError", async () => {
    const agent = { ...fixture.agents.chat, url: "http://127.0.0.1:9/openai/v1" };
    const error = await collect(streamAgent(agent, simRequest("tokens=5"), {})).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ name: "AgentHttpError", status: 0, code: "network", retryable: true });
  });
});

describe("protocol error shapes", () => {
  async function post(path: string, headers: Record<string, string>, body: unknown) {
    const response = await fetch(`${fixture.simulator.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }
  const messages = [{ role: "user", content: "hi" }];

  it("answers a wrong token in each protocol's own 401 shape", async () => {
    const bad = { authorization: "Bearer nope" };
    expect(await post("/openclaw/v1/responses", bad, { model: "openclaw", input: "hi" })).toEqual({
      status: 401,
      body: { error: { message: "Unauthorized", type: "unauthorized" } },
    });
    expect(await post("/openai/v1/responses", bad, { model: "m", input: "hi" })).toMatchObject({
      status: 401,
      body: { error: { type: "invalid_request_error", code: "invalid_api_key" } },
    });
    expect(await post("/openai/v1/chat/completions", bad, { model: "m", messages })).toMatchObject({
      status: 401,
      body: { error: { type: "invalid_request_error", code: "invalid_api_key" } },
    });
    expect(
      await post(
        "/anthropic/v1/messages",
        { "x-api-key": "nope", "anthropic-version": "2023-06-01" },
        { model: "m" },
      ),
    ).toMatchObject({ status: 401, body: { type: "error", error: { type: "authentication_error" } } });
  });

  it("rejects unknown keys in an OpenClaw request with 400 invalid_request_error (strict schema)", async () => {
    const auth = { authorization: "Bearer sim-dev-token" };
    const rejected = await post("/openclaw/v1/responses", auth, {
      model: "openclaw",
      input: "hi",
      background: true,
    });
    expect(rejected.status).toBe(400);
    expect(rejected.body.error.type).toBe("invalid_request_error");
    expect(rejected.body.error.message).toContain("background");
    const accepted = await post("/openclaw/v1/responses", auth, {
      model: "openclaw",
      input: "#sim tokens=3 seed=x",
    });
    expect(accepted).toMatchObject({ status: 200, body: { status: "completed" } });
    expect(accepted.body.output[0].content[0].text).toBe(simulatedText("x", 3));
  });
});

describe("run lifetime on disconnect", () => {
  /** Waits (bounded) until `check` holds. */
  const until = (check: () => boolean, timeoutMs = 3000) =>
    waitFor(async () => (check() ? true : undefined), timeoutMs, 20);

  it("the OpenClaw run is aborted when our connection goes away", async () => {
    const abort = new AbortController();
    for await (const event of streamAgent(
      fixture.agents.openclaw,
      simRequest("tokens=500 rate=20 seed=gone"),
      {
        signal: abort.signal,
      },
    )) {
      if (event.type === "text") {
        expect(fixture.simulator.activity().connectionBoundRuns).toBe(1);
        abort.abort();
      }
    }
    await until(() => fixture.simulator.activity().connectionBoundRuns === 0);
  });

  it("the background run keeps generating after our connection goes away", async () => {
    const abort = new AbortController();
    let responseId: string | undefined;
    for await (const event of streamAgent(
      fixture.agents.background,
      simRequest("tokens=200 rate=100 seed=stay"),
      {
        signal: abort.signal,
      },
    )) {
      if (event.type === "text") {
        responseId = event.cursor?.responseId;
        abort.abort();
      }
    }
    expect(responseId).toBeDefined();
    // It finished on its own, and its stored response holds the whole text: it kept generating.
    await until(() => fixture.simulator.activity().backgroundRuns === 0, 8000);
    const stored = await fetch(`${fixture.simulator.url}/openai/v1/responses/${responseId}`, {
      headers: { authorization: `Bearer ${fixture.agents.background.token}` },
    });
    const body = await stored.json();
    expect(body.status).toBe("completed");
    expect(body.output[0].content[0].text).toBe(simulatedText("stay", 200));
  });
});
