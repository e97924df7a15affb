import type { RawAgentFailure } from "../agent/agent-failure.ts";
import { type AgentEvent, AgentHttpError } from "../agent/index.ts";

/** The agent's next event, or the end of its stream: with the failure when the stream threw. */
export type AgentRead =
  | { event: AgentEvent }
  | { ended: true; failure?: RawAgentFailure & { retryable: boolean } };

/**
 * Reads the agent's next event. What the stream throws is the agent's failure (unreachable, an HTTP
 * error); nothing else is: the runner's own steps run outside this call, so a database error of ours
 * can never be taken for the agent's. A stream ended by our own stop signal is no failure.
 */
export async function readAgentEvent(
  events: AsyncIterator<AgentEvent>,
  stop: AbortSignal,
): Promise<AgentRead> {
  try {
    const next = await events.next();
    return next.done ? { ended: true } : { event: next.value };
  } catch (error) {
    if (stop.aborted) return { ended: true };
    const http = error instanceof AgentHttpError ? error : undefined;
    const message = error instanceof Error ? error.message : String(error);
    const status = http ? { status: http.status } : {};
    const failure = { code: http?.code ?? "agent_unreachable", message, ...status };
    return { ended: true, failure: { ...failure, retryable: http?.retryable ?? false } };
  }
}
