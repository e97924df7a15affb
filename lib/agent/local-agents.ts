/** The one credential the local agent simulator (dev/agent-sim) accepts, on every protocol. */
export const LOCAL_AGENT_TOKEN = "sim-dev-token";

/** Where the local agent simulator listens unless `AGENT_SIM_URL` says otherwise. */
export const LOCAL_AGENT_SIM_URL = "http://127.0.0.1:18789";

/** The price the simulator agents are billed at (USD per million tokens), so local sessions cost credits. */
const SIMULATOR_PRICE = { input: 3, output: 15 };

/**
 * The local default of `AGENTS` (an unset `AGENTS` means these, in every process: `npm run dev`,
 * `npm run worker`, the web app, the Trigger.dev tasks, the tests and the benchmarks): the four agents
 * of the local simulator, one per transport, at `simulatorUrl`. Kept in `lib/` because `dev/` is never
 * imported by app/lib/trigger; nothing else in product code knows these names.
 */
export function localSimulatorAgents(simulatorUrl: string) {
  const base = simulatorUrl.replace(/\/+$/, "");
  return [
    {
      name: "sim-openclaw",
      transport: "openresponses",
      url: `${base}/openclaw`,
      token: LOCAL_AGENT_TOKEN,
      model: "openclaw/default",
      price: SIMULATOR_PRICE,
    },
    {
      name: "sim-openai-bg",
      transport: "openai-background",
      url: `${base}/openai/v1`,
      token: LOCAL_AGENT_TOKEN,
      model: "gpt-5-mini",
    },
    {
      name: "sim-chat",
      transport: "chat-completions",
      url: `${base}/openai/v1`,
      token: LOCAL_AGENT_TOKEN,
      model: "gpt-4.1-mini",
    },
    {
      name: "sim-anthropic",
      transport: "anthropic",
      url: `${base}/anthropic`,
      token: LOCAL_AGENT_TOKEN,
      model: "claude-sonnet-4-5",
    },
  ] as const;
}
