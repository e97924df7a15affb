import type { SessionUsage } from "../session-stream/session-types.ts";

/** Token counts and cost of a finished session; marked when the agent reported no usage and they are estimated. */
export function UsageFooter({ usage, costUsd }: { usage: SessionUsage; costUsd: number | null }) {
  const format = (count: number) => count.toLocaleString("en-US");
  return (
    <p className="footer" data-testid="usage-footer">
      {format(usage.inputTokens)} input tokens · {format(usage.outputTokens)} output tokens
      {costUsd !== null ? ` · $${costUsd.toFixed(4)}` : null}
      {usage.estimated ? (
        <span
          data-testid="usage-estimated"
          title="The agent reported no usage; counted from the text (4 bytes a token)."
        >
          {" "}
          (estimated)
        </span>
      ) : null}
    </p>
  );
}
