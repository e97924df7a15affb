import type { AgentRequest } from "./types.ts";

/**
 * The ratio used when an agent reports no usage for a run (OpenClaw reports none for a run that is
 * cut off): one token per 4 bytes of UTF-8, OpenAI's and Anthropic's rule of thumb for English text.
 * Input is estimated from the request the run was sent, output from the bytes it produced.
 */
export const BYTES_PER_TOKEN = 4;

/** Token counts of one run; `estimated` when they come from the ratio, not from the agent. */
export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
}

export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}

/** The estimated input tokens of a request: every message and the system prompt. */
export function estimateRequestTokens(request: AgentRequest): number {
  let bytes = Buffer.byteLength(request.system ?? "", "utf8");
  for (const message of request.messages) bytes += Buffer.byteLength(message.content, "utf8");
  return estimateTokens(bytes);
}
