import { estimateTokens } from "@/lib/agent/usage-estimate.ts";

/** The output tokens a running answer has produced so far; `estimated` when they come from its bytes. */
export interface TokenFigure {
  tokens: number;
  estimated: boolean;
}

/**
 * The best figure for a running answer's output tokens: the agent's reported count, or the estimate
 * from the output's UTF-8 bytes (4 bytes a token, as metering estimates) where that is larger.
 * A reported count lags the text (agents report at the start and at the end, progress arrives at
 * credit steps), so a count the bytes already exceed is stale and the estimate moves with the text.
 * `reported` is null when the agent reported nothing (a server-side estimate is not a report: the
 * bytes the page holds are newer). Null when there is nothing to count yet.
 */
export function tokenFigure(reported: number | null, outputBytes: number): TokenFigure | null {
  const estimate = estimateTokens(outputBytes);
  if (reported !== null && reported > 0 && reported >= estimate)
    return { tokens: reported, estimated: false };
  return estimate > 0 ? { tokens: estimate, estimated: true } : null;
}

/** "1,234 tokens", or "about 1,234 tokens" for an estimate. */
export function formatTokenFigure(figure: TokenFigure): string {
  const count = `${figure.tokens.toLocaleString("en-US")} ${figure.tokens === 1 ? "token" : "tokens"}`;
  return figure.estimated ? `about ${count}` : count;
}
