import { afterAll, beforeAll } from "vitest";
import { simulatorAgentsEnv } from "../../../dev/agent-sim/agents.ts";
import { type AgentSimulator, startAgentSimulator } from "../../../dev/agent-sim/server.ts";
import { type AgentConfig, type AgentRequest, listAgents } from "../../../lib/agent/index.ts";
import { parseEnv } from "../../../lib/env.ts";

export interface SimulatorFixture {
  simulator: AgentSimulator;
  agents: Record<"openclaw" | "background" | "chat" | "anthropic", AgentConfig>;
}

/** A fresh simulator on a free port and the four default agents pointing at it. */
export async function startSimulatorWithAgents(): Promise<SimulatorFixture> {
  const simulator = await startAgentSimulator({ port: 0 });
  const env = parseEnv(simulatorAgentsEnv(simulator.url));
  const byName = new Map(listAgents(env).map((agent) => [agent.name, agent]));
  return {
    simulator,
    agents: {
      openclaw: byName.get("sim-openclaw")!,
      background: byName.get("sim-openai-bg")!,
      chat: byName.get("sim-chat")!,
      anthropic: byName.get("sim-anthropic")!,
    },
  };
}

export type Transport = keyof SimulatorFixture["agents"];
export const TRANSPORTS = ["openclaw", "background", "chat", "anthropic"] as const satisfies Transport[];

/**
 * The simulator of the enclosing file or `describe`, started before its tests and closed after. The
 * `fixture` returned is filled in when it has started (read it inside tests).
 */
export function withSimulatorAgents(): {
  fixture: SimulatorFixture;
  agentOf(name: Transport): AgentConfig;
} {
  const fixture = {} as SimulatorFixture;
  beforeAll(async () => {
    Object.assign(fixture, await startSimulatorWithAgents());
  });
  afterAll(async () => {
    await fixture.simulator?.close();
  });
  return { fixture, agentOf: (name) => fixture.agents[name] };
}

/** A request whose last user message starts with a `#sim` line. */
export function simRequest(directives: string, extra: Partial<AgentRequest> = {}): AgentRequest {
  return { messages: [{ role: "user", content: `#sim ${directives}\nTell me a story.` }], ...extra };
}
