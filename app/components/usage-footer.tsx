import type { SessionUsage } from "../session-stream/session-types.ts";

/** Token counts and cost of a finished session. */
export function UsageFooter({ usage, costUsd }: { usage: SessionUsage; costUsd: number | null }) {
  const format = (count: number) => count.toLocaleString("en-US");
  return (
    <p className="footer" data-testid="usage-footer">
      {format(usage.inputTokens)} input tokens · {format(usage.outputTokens)} output tokens
      {costUsd !== null ? ` · $${costUsd.toFixed(4)}` : null}
    </p>
  );
}
