import { describe, expect, it } from "vitest";
import { type AgentConfig, costUsd, getAgent, listAgents } from "../../lib/agent/index.ts";
import { getEnv } from "../../lib/env.ts";
import { AppError } from "../../lib/errors.ts";

describe("agent configuration", () => {
  it("defaults to the four simulator agents at AGENT_SIM_URL, with sim-openclaw as the default", () => {
    const env = getEnv({ AGENT_SIM_URL: "http://127.0.0.1:4555/" });
    expect(
      listAgents(env).map(({ name, transport, url, token }) => ({ name, transport, url, token })),
    ).toEqual([
      {
        name: "sim-openclaw",
        transport: "openresponses",
        url: "http://127.0.0.1:4555/openclaw",
        token: "sim-dev-token",
      },
      {
        name: "sim-openai-bg",
        transport: "openai-background",
        url: "http://127.0.0.1:4555/openai/v1",
        token: "sim-dev-token",
      },
      {
        name: "sim-chat",
        transport: "chat-completions",
        url: "http://127.0.0.1:4555/openai/v1",
        token: "sim-dev-token",
      },
      {
        name: "sim-anthropic",
        transport: "anthropic",
        url: "http://127.0.0.1:4555/anthropic",
        token: "sim-dev-token",
      },
    ]);
    expect(getAgent(env).name).toBe("sim-openclaw");
    expect(getAgent(env, "sim-anthropic").transport).toBe("anthropic");
  });

  it("replaces the simulator agents with the AGENTS JSON array", () => {
    const agents: AgentConfig[] = [
      {
        name: "claw",
        transport: "openresponses",
        url: "https://gw.example/",
        token: "t1",
        model: "openclaw/main",
      },
      {
        name: "gpt",
        transport: "openai-background",
        url: "https://api.openai.com/v1",
        token: "t2",
        model: "gpt-5",
      },
    ];
    const env = getEnv({ AGENTS: JSON.stringify(agents), DEFAULT_AGENT: "gpt" });
    expect(listAgents(env)).toEqual([{ ...agents[0], url: "https://gw.example" }, agents[1]]);
    expect(getAgent(env).name).toBe("gpt");
  });

  it("names AGENTS (and not its content) when it is invalid", () => {
    const secret = "sk-very-secret";
    const bad = getEnv({
      AGENTS: JSON.stringify([{ name: "x", transport: "smoke-signals", url: "u", token: secret }]),
    });
    expect(() => listAgents(bad)).toThrow(/AGENTS is invalid/);
    expect(() => listAgents(bad)).not.toThrow(new RegExp(secret));
    expect(() => listAgents(getEnv({ AGENTS: "[not json" }))).toThrow(/AGENTS is not valid JSON/);
    const duplicate = { name: "x", transport: "anthropic", url: "https://a.example", token: "t", model: "m" };
    expect(() => listAgents(getEnv({ AGENTS: JSON.stringify([duplicate, duplicate]) }))).toThrow(/unique/);
  });

  it("rejects an unknown agent name with AppError bad_request:agent", () => {
    const env = getEnv({});
    expect(() => getAgent(env, "nobody")).toThrow(AppError);
    try {
      getAgent(env, "nobody");
    } catch (error) {
      expect((error as AppError).code).toBe("bad_request:agent");
      expect((error as AppError).status).toBe(400);
    }
  });
});

describe("costUsd", () => {
  it("prices usage per million tokens of the model", () => {
    expect(costUsd("gpt-5-mini", { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBeCloseTo(2.25, 10);
    expect(costUsd("claude-sonnet-4-5", { inputTokens: 45, outputTokens: 2234 })).toBeCloseTo(0.033645, 10);
  });

  it("resolves dated snapshots to their family by the longest prefix", () => {
    expect(costUsd("gpt-4o-mini-2024-07-18", { inputTokens: 1_000_000, outputTokens: 0 })).toBeCloseTo(
      0.15,
      10,
    );
    expect(costUsd("gpt-4o-2024-08-06", { inputTokens: 1_000_000, outputTokens: 0 })).toBeCloseTo(2.5, 10);
    expect(costUsd("claude-sonnet-4-5-20250929", { inputTokens: 0, outputTokens: 1_000_000 })).toBeCloseTo(
      15,
      10,
    );
  });

  it("costs 0 for a model without a price (never guessed)", () => {
    expect(costUsd("someone/unknown-model", { inputTokens: 10_000, outputTokens: 10_000 })).toBe(0);
  });
});
