import { SIMULATOR_TOKEN } from "./http-io.ts";

/** The price the simulator agents are billed at (USD per million tokens), so local sessions cost credits. */
const SIMULATOR_PRICE = { input: 3, output: 15 };

/**
 * The four local agents, one per transport, at the simulator's base URL: the `AGENTS` value
 * `npm run dev`, the tests and the benchmarks give the app. Product code knows none of these names.
 */
export function simulatorAgents(simulatorUrl: string) {
  const base = simulatorUrl.replace(/\/+$/, "");
  return [
    {
      name: "sim-openclaw",
      transport: "openresponses",
      url: `${base}/openclaw`,
      token: SIMULATOR_TOKEN,
      model: "openclaw/default",
      price: SIMULATOR_PRICE,
    },
    {
      name: "sim-openai-bg",
      transport: "openai-background",
      url: `${base}/openai/v1`,
      token: SIMULATOR_TOKEN,
      model: "gpt-5-mini",
    },
    {
      name: "sim-chat",
      transport: "chat-completions",
      url: `${base}/openai/v1`,
      token: SIMULATOR_TOKEN,
      model: "gpt-4.1-mini",
    },
    {
      name: "sim-anthropic",
      transport: "anthropic",
      url: `${base}/anthropic`,
      token: SIMULATOR_TOKEN,
      model: "claude-sonnet-4-5",
    },
  ] as const;
}

/** `AGENTS` and `DEFAULT_AGENT` for an app that talks to the simulator at `simulatorUrl`. */
export function simulatorAgentsEnv(simulatorUrl: string): { AGENTS: string; DEFAULT_AGENT: string } {
  return { AGENTS: JSON.stringify(simulatorAgents(simulatorUrl)), DEFAULT_AGENT: "sim-openclaw" };
}
