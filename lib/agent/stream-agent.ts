import { AppError } from "../errors.ts";
import { sendAgentRequest } from "./agent-connection.ts";
import { agentEventsFromBytes } from "./agent-event-stream.ts";
import { agentHttpErrorFrom, agentNetworkError } from "./agent-http-error.ts";
import { withCursor } from "./frame-mapper.ts";
import { anthropicTransport } from "./transports/anthropic.ts";
import { chatCompletionsTransport } from "./transports/chat-completions.ts";
import { openAiBackgroundTransport } from "./transports/openai-background.ts";
import { openResponsesTransport } from "./transports/openresponses.ts";
import type { Transport } from "./transports/transport.ts";
import type {
  AgentConfig,
  AgentCursor,
  AgentEvent,
  AgentRequest,
  AgentTransportName,
  StreamAgentOptions,
} from "./types.ts";

/** Cancel and status calls are short requests; unlike streams they must not hang forever. */
const CONTROL_REQUEST_TIMEOUT_MS = 30_000;

const transports: Record<AgentTransportName, Transport> = {
  openresponses: openResponsesTransport,
  "openai-background": openAiBackgroundTransport,
  "chat-completions": chatCompletionsTransport,
  anthropic: anthropicTransport,
};

/** True when the agent's run outlives our connection and can be re-attached (openai-background). */
export function isDetachable(agent: AgentConfig): boolean {
  return transports[agent.transport].detachable;
}

/**
 * Streams one agent run as agent events. HTTP errors before the stream (and network failures)
 * throw AgentHttpError; once the stream started, every problem is an `error` event and the
 * iteration ends. With `cursor` (detachable agents only) it re-attaches to the run after that
 * point instead of starting a new one. Aborting `signal` ends the iteration without an event.
 */
export async function* streamAgent(
  agent: AgentConfig,
  request: AgentRequest,
  options: StreamAgentOptions = {},
): AsyncGenerator<AgentEvent> {
  const { signal, cursor } = options;
  const transport = transports[agent.transport];
  if (cursor && !transport.detachable) {
    throw new AppError(
      "bad_request:agent_cursor",
      `Agent ${agent.name} (${agent.transport}) cannot be re-attached.`,
    );
  }
  if (signal?.aborted) return;
  let response: Awaited<ReturnType<typeof sendAgentRequest>>;
  try {
    response = await sendAgentRequest(transport.buildRequest(agent, request, cursor), signal);
  } catch (error) {
    if (signal?.aborted) return;
    throw agentNetworkError(agent.name, error);
  }
  if (!response.ok) throw await agentHttpErrorFrom(agent.name, response);

  const mapper = transport.createMapper(cursor);
  const contentType = response.headers.get("content-type") ?? "";
  if (!response.body || !contentType.includes("text/event-stream")) {
    await response.body?.cancel();
    yield withCursor(
      {
        type: "error",
        code: "malformed_frame",
        message: `Agent ${agent.name} answered ${contentType || "no body"} instead of an event stream.`,
        retryable: false,
      },
      mapper.cursor,
    );
    return;
  }
  for await (const event of agentEventsFromBytes(response.body, mapper, signal)) {
    if (event.type === "error" && event.code === "stream_truncated" && transport.detachable && event.cursor) {
      // A background stream closes without a terminal event when the run was cancelled
      // elsewhere (another device, the cancel endpoint); the run's status tells which it was.
      yield (await cancelledOutcome(agent, event.cursor, signal)) ?? event;
      return;
    }
    yield event;
  }
}

async function cancelledOutcome(
  agent: AgentConfig,
  cursor: AgentCursor,
  signal: AbortSignal | undefined,
): Promise<AgentEvent | undefined> {
  try {
    const response = await sendAgentRequest(
      {
        method: "GET",
        url: `${agent.url}/responses/${encodeURIComponent(cursor.responseId)}`,
        headers: { authorization: `Bearer ${agent.token}`, accept: "application/json" },
      },
      signal
        ? AbortSignal.any([signal, AbortSignal.timeout(CONTROL_REQUEST_TIMEOUT_MS)])
        : AbortSignal.timeout(CONTROL_REQUEST_TIMEOUT_MS),
    );
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body = (await response.json()) as { status?: unknown };
    return body.status === "cancelled"
      ? { type: "done", reason: "cancelled", cursor: { ...cursor } }
      : undefined;
  } catch (error) {
    // The status probe is best effort: the truncation error we already hold is the answer.
    console.warn("agent run status probe failed", {
      agent: agent.name,
      responseId: cursor.responseId,
      error,
    });
    return undefined;
  }
}

/**
 * Cancels the provider-side run where the protocol allows it (openai-background:
 * `POST /responses/{id}/cancel`, idempotent); a no-op for connection-bound transports, whose run
 * ends when the connection closes. A run that is already gone (404) counts as cancelled.
 */
export async function cancelAgentRun(agent: AgentConfig, cursor: AgentCursor | undefined): Promise<void> {
  if (!transports[agent.transport].detachable || !cursor) return;
  let response: Awaited<ReturnType<typeof sendAgentRequest>>;
  try {
    response = await sendAgentRequest(
      {
        method: "POST",
        url: `${agent.url}/responses/${encodeURIComponent(cursor.responseId)}/cancel`,
        headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
      },
      AbortSignal.timeout(CONTROL_REQUEST_TIMEOUT_MS),
    );
  } catch (error) {
    throw agentNetworkError(agent.name, error);
  }
  if (response.ok || response.status === 404) {
    await response.body?.cancel();
    return;
  }
  throw await agentHttpErrorFrom(agent.name, response);
}
