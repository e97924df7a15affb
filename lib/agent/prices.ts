/** USD per million tokens. */
interface ModelPrice {
  input: number;
  output: number;
}

/**
 * List prices per model family. Dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`)
 * resolve to the longest matching prefix. `openclaw/*` is the gateway's own agent id, so its price
 * stands for the backend model the gateway runs; operators adjust it here.
 */
const pricePerMillionTokens: Record<string, ModelPrice> = {
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
  "openclaw/default": { input: 3, output: 15 },
};

function priceFor(model: string): ModelPrice | undefined {
  const exact = pricePerMillionTokens[model];
  if (exact) return exact;
  let best: string | undefined;
  for (const family of Object.keys(pricePerMillionTokens)) {
    if (model.startsWith(`${family}-`) && (!best || family.length > best.length)) best = family;
  }
  return best ? pricePerMillionTokens[best] : undefined;
}

/**
 * Cost in USD of one run's usage. An unknown model costs 0: we never guess a price, and the
 * session still records its token counts so it can be priced later.
 */
export function costUsd(model: string, usage: { inputTokens: number; outputTokens: number }): number {
  const price = priceFor(model);
  if (!price) return 0;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}
