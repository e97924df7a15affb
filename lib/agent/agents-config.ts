import { z } from "zod";
import { AppError } from "../errors.ts";
import { defaultPriceFor } from "./prices.ts";
import type { AgentConfig } from "./types.ts";

const priceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
});

const agentSchema = z.object({
  name: z.string().min(1),
  transport: z.enum(["openresponses", "openai-background", "chat-completions", "anthropic"]),
  url: z.url().transform((url) => url.replace(/\/+$/, "")),
  token: z.string().min(1),
  model: z.string().min(1),
  /** USD per million tokens; optional only for models with a built-in price. */
  price: priceSchema.optional(),
});

const agentListSchema = z
  .array(agentSchema)
  .min(1, "lists no agent; give at least one, or leave AGENTS unset for the local simulator's agents")
  .refine((agents) => new Set(agents.map((agent) => agent.name)).size === agents.length, {
    message: "agent names must be unique",
  });

/**
 * The `AGENTS` setting: a JSON array of `{name, transport, url, token, model, price?}` resolved to
 * agents that all have a price. Problems are reported to `ctx` naming the variable and the agent,
 * never the value (it holds tokens).
 */
export function parseAgentsSetting(value: string, ctx: z.RefinementCtx): AgentConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    ctx.addIssue({
      code: "custom",
      message:
        "AGENTS is not valid JSON; set it to a JSON array of {name, transport, url, token, model, price}.",
    });
    return [];
  }
  return resolveAgents(json, ctx);
}

/** Validates an agent list and gives each its price (its own, or the model's built-in one). */
export function resolveAgents(list: unknown, ctx: z.RefinementCtx): AgentConfig[] {
  const parsed = agentListSchema.safeParse(list);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({
        code: "custom",
        message: `AGENTS is invalid: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      });
    }
    return [];
  }
  const agents: AgentConfig[] = [];
  parsed.data.forEach((agent, index) => {
    const price = agent.price ?? defaultPriceFor(agent.model);
    if (!price) {
      ctx.addIssue({
        code: "custom",
        message:
          `agent "${agent.name}" (model "${agent.model}") has no price: set AGENTS[${index}].price to ` +
          `{"input": <USD per million input tokens>, "output": <USD per million output tokens>}`,
      });
      return;
    }
    agents.push({ ...agent, price });
  });
  return agents;
}

/** The part of `Env` the agent look-ups read (declared here so that `env.ts` can import this file). */
export type AgentsEnv = { AGENTS: AgentConfig[]; DEFAULT_AGENT?: string | undefined };

/** All configured agents (`AGENTS`, parsed once by `parseEnv`). */
export function listAgents(env: AgentsEnv): AgentConfig[] {
  return env.AGENTS;
}

/** One agent by name (default `DEFAULT_AGENT`, else the first); an unknown name is the caller's mistake. */
export function getAgent(env: AgentsEnv, name: string | undefined = env.DEFAULT_AGENT): AgentConfig {
  if (env.AGENTS.length === 0) {
    throw new AppError("unavailable:agents", "No agent is configured: set AGENTS.");
  }
  const agent = name === undefined ? env.AGENTS[0] : env.AGENTS.find((candidate) => candidate.name === name);
  if (!agent) throw new AppError("bad_request:agent", `Unknown agent "${name}".`);
  return agent;
}
