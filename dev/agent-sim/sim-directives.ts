/**
 * `#sim key=value ...` on the first line of the last user message drives the simulator, so the
 * UI and scripts can ask for any pace, length or fault through an ordinary conversation.
 */

export type SimFault =
  | { kind: "drop" | "malformed" | "failed"; afterToken: number; upstreamTimeout?: true }
  | { kind: "http500" | "http429" | "splitutf8" };

export interface SimSettings {
  tokens: number;
  /** Tokens per second; 0 = as fast as possible. */
  rate: number;
  seed: string;
  /** Tool-call stages spread evenly between the text. */
  stages: number;
  stall?: { ms: number; afterToken: number };
  fault?: SimFault;
  /** `#sim echo`: the answer is the rest of the message, verbatim (tests feed an agent hostile text). */
  echo?: string;
}

export const DEFAULT_TOKENS = 400;
export const DEFAULT_RATE = 80;
const MAX_TOKENS = 1_000_000;

function nonNegativeInteger(key: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new SimDirectiveError(`#sim ${key}=${value}: expected a whole number up to ${max}`);
  }
  return Number(value);
}

export class SimDirectiveError extends Error {}

function parseFault(value: string): SimFault {
  if (value === "http500" || value === "http429" || value === "splitutf8") return { kind: value };
  const match = /^(drop|malformed|failed|timeout)@(\d+)$/.exec(value);
  if (!match) {
    throw new SimDirectiveError(
      `#sim fault=${value}: expected drop@T, malformed@T, failed@T, timeout@T, http500, http429 or splitutf8`,
    );
  }
  // The gateway's model provider timing out: its error event, with the gateway's own words.
  if (match[1] === "timeout") return { kind: "failed", afterToken: Number(match[2]), upstreamTimeout: true };
  return { kind: match[1] as "drop" | "malformed" | "failed", afterToken: Number(match[2]) };
}

/**
 * Reads the settings from the last user message. Without a `#sim` line (or without `seed=`) the
 * seed is the message text itself, so the same question always gets the same answer.
 * Throws SimDirectiveError for an unknown key or a bad value (the route answers 400).
 */
export function parseSimSettings(lastUserMessage: string): SimSettings {
  const settings: SimSettings = {
    tokens: DEFAULT_TOKENS,
    rate: DEFAULT_RATE,
    seed: lastUserMessage,
    stages: 0,
  };
  const firstLine = lastUserMessage.split("\n", 1)[0]!.trim();
  if (!/^#sim(\s|$)/.test(firstLine)) return settings;
  for (const pair of firstLine.slice(4).trim().split(/\s+/).filter(Boolean)) {
    const separator = pair.indexOf("=");
    const key = separator === -1 ? pair : pair.slice(0, separator);
    const value = separator === -1 ? "" : pair.slice(separator + 1);
    switch (key) {
      case "tokens":
        settings.tokens = nonNegativeInteger(key, value, MAX_TOKENS);
        break;
      case "rate":
        if (!/^\d+(\.\d+)?$/.test(value))
          throw new SimDirectiveError(`#sim rate=${value}: expected tokens per second`);
        settings.rate = Number(value);
        break;
      case "seed":
        if (!value) throw new SimDirectiveError("#sim seed=: expected a value");
        settings.seed = value;
        break;
      case "stages":
        settings.stages = nonNegativeInteger(key, value, 1000);
        break;
      case "stall": {
        const match = /^(\d+)@(\d+)$/.exec(value);
        if (!match) throw new SimDirectiveError(`#sim stall=${value}: expected MS@T`);
        settings.stall = { ms: Number(match[1]), afterToken: Number(match[2]) };
        break;
      }
      case "fault":
        settings.fault = parseFault(value);
        break;
      case "echo":
        if (value) throw new SimDirectiveError(`#sim echo=${value}: echo takes no value`);
        settings.echo = lastUserMessage.slice(lastUserMessage.indexOf("\n") + 1 || lastUserMessage.length);
        break;
      default:
        throw new SimDirectiveError(
          `#sim ${key}: unknown key (use tokens, rate, seed, stages, stall, fault, echo)`,
        );
    }
  }
  return settings;
}

/** Rough input token count: words across every message and the system prompt. */
export function countInputTokens(texts: string[]): number {
  let count = 0;
  for (const text of texts) count += text.split(/\s+/).filter(Boolean).length;
  return count;
}
