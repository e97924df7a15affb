import { describe, expect, it } from "vitest";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { costUsd, getAgent, listAgents } from "../../lib/agent/index.ts";
import { parseEnv } from "../../lib/env.ts";
import { AppError } from "../../lib/errors.ts";

const claw = {
  name: "claw",
  transport: "openresponses",
  url: "https://gw.example/",
  token: "t1",
  model: "openclaw/main",
  price: { input: 2, output: 12 },
};
const gpt = {
  name: "gpt",
  transport: "openai-background",
  url: "https://api.openai.com/v1",
  token: "t2",
  model: "gpt-5",
};

describe("agent configuration (AGENTS, parsed once by parseEnv)", () => {
  it("reads the AGENTS JSON array; an entry's price wins, a well-known model gets the built-in one", () => {
    const env = parseEnv({ AGENTS: JSON.stringify([claw, gpt]), DEFAULT_AGENT: "gpt" });
    expect(listAgents(env)).toEqual([
      { ...claw, url: "https://gw.example" },
      { ...gpt, price: { input: 1.25, output: 10 } },
    ]);
    expect(getAgent(env).name).toBe("gpt");
    expect(getAgent(env, "claw").price).toEqual({ input: 2, output: 12 });
  });

  it("without DEFAULT_AGENT the first agent is the default", () => {
    expect(getAgent(parseEnv({ AGENTS: JSON.stringify([claw, gpt]) })).name).toBe("claw");
  });

  it.each(["openclaw", "openclaw/main", "openclaw/default", "someone/unknown-model"])(
    "an agent with model %s and no price is a start-up error naming the agent and the setting",
    (model) => {
      const unpriced = { ...claw, name: "unpriced", model, price: undefined };
      const parse = () => parseEnv({ AGENTS: JSON.stringify([gpt, unpriced]) });
      expect(parse).toThrow(/AGENTS/);
      expect(parse).toThrow(/agent "unpriced"/);
      expect(parse).toThrow(/AGENTS\[1\]\.price/);
    },
  );

  it("names AGENTS (and not its content) when it is invalid", () => {
    const secret = "sk-very-secret";
    const bad = () =>
      parseEnv({
        AGENTS: JSON.stringify([{ name: "x", transport: "smoke-signals", url: "u", token: secret }]),
      });
    expect(bad).toThrow(/AGENTS is invalid/);
    expect(bad).not.toThrow(new RegExp(secret));
    expect(() => parseEnv({ AGENTS: "[not json" })).toThrow(/AGENTS is not valid JSON/);
    const duplicate = { ...gpt, name: "x" };
    expect(() => parseEnv({ AGENTS: JSON.stringify([duplicate, duplicate]) })).toThrow(/unique/);
    expect(() => parseEnv({ AGENTS: JSON.stringify([gpt]), DEFAULT_AGENT: "nobody" })).toThrow(
      /DEFAULT_AGENT/,
    );
  });

  it("rejects an unknown agent name with AppError bad_request:agent", () => {
    const env = parseEnv(simulatorAgentsEnv("http://127.0.0.1:4555/"));
    expect(getAgent(env).name).toBe("sim-openclaw");
    expect(getAgent(env, "sim-anthropic").url).toBe("http://127.0.0.1:4555/anthropic");
    expect(() => getAgent(env, "nobody")).toThrow(AppError);
    try {
      getAgent(env, "nobody");
    } catch (error) {
      expect((error as AppError).code).toBe("bad_request:agent");
      expect((error as AppError).status).toBe(400);
    }
  });

  it("an unset AGENTS means the local simulator's agents at AGENT_SIM_URL, in every process alike", () => {
    const env = parseEnv({ AGENT_SIM_URL: "http://127.0.0.1:4555" });
    expect(listAgents(env)).toEqual(parseEnv(simulatorAgentsEnv("http://127.0.0.1:4555")).AGENTS);
    expect(getAgent(env).name).toBe("sim-openclaw");
    expect(getAgent(parseEnv({ AGENTS: "  " })).url).toBe("http://127.0.0.1:18789/openclaw");
  });

  it("an AGENTS that lists no agent refuses to start, naming AGENTS", () => {
    expect(() => parseEnv({ AGENTS: "[]" })).toThrow(/AGENTS is invalid: \(root\): lists no agent/);
  });
});

describe("costUsd", () => {
  it("prices usage per million tokens at the agent's price", () => {
    const agents = parseEnv({
      AGENTS: JSON.stringify([
        { ...gpt, name: "mini", model: "gpt-5-mini" },
        { ...gpt, name: "sonnet", transport: "anthropic", model: "claude-sonnet-4-5-20250929" },
        { ...gpt, name: "dated", model: "gpt-4o-mini-2024-07-18" },
      ]),
    }).AGENTS;
    const [mini, sonnet, dated] = agents.map((agent) => agent.price);
    expect(costUsd(mini!, { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBeCloseTo(2.25, 10);
    expect(costUsd(sonnet!, { inputTokens: 45, outputTokens: 2234 })).toBeCloseTo(0.033645, 10);
    expect(costUsd(dated!, { inputTokens: 1_000_000, outputTokens: 0 })).toBeCloseTo(0.15, 10);
  });
});
