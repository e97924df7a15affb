/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * List prices of well-known provider models, the default for an agent whose `AGENTS` entry carries no
 * `price`. Dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) resolve to the longest
 * matching prefix. There is deliberately no entry for OpenClaw (`openclaw`, `openclaw/<agent>`): the
 * gateway runs whatever backend model its operator chose, so only the operator can price it.
 */
const defaultPricePerMillionTokens: Record<string, ModelPrice> = {
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  o3: { input: 2, output: 8 },
  "o4-mini": { input: 1.1, output: 4.4 },
  "claude-opus-4-1": { input: 15, output: 75 },
  "claude-opus-4": { input: 15, output: 75 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
};

/** The built-in list price of a well-known model, or undefined (then the agent must carry a price). */
export function defaultPriceFor(model: string): ModelPrice | undefined {
  const exact = defaultPricePerMillionTokens[model];
  if (exact) return exact;
  let best: string | undefined;
  for (const family of Object.keys(defaultPricePerMillionTokens)) {
    if (model.startsWith(`${family}-`) && (!best || family.length > best.length)) best = family;
  }
  return best ? defaultPricePerMillionTokens[best] : undefined;
}

/** Cost in USD of one run's usage at an agent's price. */
export function costUsd(price: ModelPrice, usage: { inputTokens: number; outputTokens: number }): number {
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}
