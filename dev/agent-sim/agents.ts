import { localSimulatorAgents } from "../../lib/agent/local-agents.ts";

/**
 * The four local agents, one per transport, at the simulator's base URL. The list lives in
 * `lib/agent/local-agents.ts`: it is also what an unset `AGENTS` means in every process.
 */
export const simulatorAgents = localSimulatorAgents;

/** `AGENTS` and `DEFAULT_AGENT` for an app that talks to the simulator at `simulatorUrl`. */
export function simulatorAgentsEnv(simulatorUrl: string): { AGENTS: string; DEFAULT_AGENT: string } {
  return { AGENTS: JSON.stringify(simulatorAgents(simulatorUrl)), DEFAULT_AGENT: "sim-openclaw" };
}
