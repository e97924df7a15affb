import { z } from "zod";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import type { AgentConfig } from "./types.ts";

/** The credential the agent simulator accepts (dev/agent-sim). */
export const SIMULATOR_TOKEN = "sim-dev-token";

const agentSchema = z.object({
  name: z.string().min(1),
  transport: z.enum(["openresponses", "openai-background", "chat-completions", "anthropic"]),
  url: z.url().transform((url) => url.replace(/\/+$/, "")),
  token: z.string().min(1),
  model: z.string().min(1),
});

const agentListSchema = z
  .array(agentSchema)
  .min(1)
  .refine((agents) => new Set(agents.map((agent) => agent.name)).size === agents.length, {
    message: "agent names must be unique",
  });

function simulatorAgents(simulatorUrl: string): AgentConfig[] {
  const base = simulatorUrl.replace(/\/+$/, "");
  return [
    {
      name: "sim-openclaw",
      transport: "openresponses",
      url: `${base}/openclaw`,
      token: SIMULATOR_TOKEN,
      model: "openclaw/default",
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
  ];
}

/**
 * All configured agents: the `AGENTS` JSON array when set, otherwise the four simulator agents at
 * `AGENT_SIM_URL`. A bad `AGENTS` value fails with a sentence naming the variable (never its
 * content: it holds tokens).
 */
export function listAgents(env: Env): AgentConfig[] {
  if (!env.AGENTS) return simulatorAgents(env.AGENT_SIM_URL);
  let json: unknown;
  try {
    json = JSON.parse(env.AGENTS);
  } catch {
    throw new Error(
      "AGENTS is not valid JSON; set it to a JSON array of {name, transport, url, token, model}.",
    );
  }
  const parsed = agentListSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new Error(`AGENTS is invalid: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** One agent by name (default `DEFAULT_AGENT`); an unknown name is the caller's mistake. */
export function getAgent(env: Env, name: string = env.DEFAULT_AGENT): AgentConfig {
  const agent = listAgents(env).find((candidate) => candidate.name === name);
  if (!agent) throw new AppError("bad_request:agent", `Unknown agent "${name}".`);
  return agent;
}
