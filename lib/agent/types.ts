import type { ModelPrice } from "./prices.ts";

/** The wire protocols an agent can speak (DESIGN §3). */
export type AgentTransportName = "openresponses" | "openai-background" | "chat-completions" | "anthropic";

/** One configured agent. `token` is a server-side secret: it never goes to the browser. */
export interface AgentConfig {
  name: string;
  transport: AgentTransportName;
  /** Base URL as a client SDK would take it (OpenAI: `…/v1`; OpenClaw and Anthropic: without `/v1`). */
  url: string;
  token: string;
  model: string;
  /** USD per million tokens: the `AGENTS` entry's own, or the built-in default for its model. */
  price: ModelPrice;
}

/** Where a detachable (openai-background) run can be re-attached: after `sequenceNumber`. */
export interface AgentCursor {
  responseId: string;
  sequenceNumber: number;
}

export interface AgentMessage {
  role: "user" | "assistant";
  content: string;
}

export interface AgentRequest {
  messages: AgentMessage[];
  system?: string;
  /** Routes the run to a durable agent session where the protocol has one (OpenClaw). */
  sessionKey?: string;
  /**
   * With `sessionKey`: the index of the first message the agent's own session has not seen (the
   * earlier ones are in its transcript already, so they are not sent again).
   */
  newMessagesFrom?: number;
}

export type AgentDoneReason = "completed" | "incomplete" | "max_tokens" | "cancelled";

/**
 * The one event model every transport maps to. `usage` carries running totals (the latest one
 * wins), not increments. `cursor` is set on every event of a detachable transport once the
 * provider has told us the response id, so a runner can checkpoint it with the text.
 *
 * Error codes produced by the transports themselves:
 * - `connection_lost` (retryable): the connection broke mid-stream;
 * - `stream_truncated` (retryable): the stream ended without the protocol's terminal event;
 * - `malformed_frame`: a frame was not the JSON the protocol promises;
 * - `unknown_event`: an event name outside the protocol's vocabulary.
 * Provider error events keep the provider's own code (`server_error`, `overloaded_error`, …).
 *
 * `retryable` says whether trying again may succeed. How to try again depends on the cursor: a
 * detachable run re-attaches at `cursor` after the wire-level errors above (the run itself is
 * unharmed), while a provider error ends the run for good — retrying means starting a new one.
 */
export type AgentEvent =
  | { type: "text"; text: string; cursor?: AgentCursor }
  | { type: "progress"; stage: string; cursor?: AgentCursor }
  | { type: "usage"; inputTokens: number; outputTokens: number; cursor?: AgentCursor }
  | { type: "done"; reason: AgentDoneReason; cursor?: AgentCursor }
  | { type: "error"; code: string; message: string; retryable: boolean; cursor?: AgentCursor };

export interface StreamAgentOptions {
  signal?: AbortSignal;
  /** openai-background only: re-attach to this run instead of starting a new one. */
  cursor?: AgentCursor;
}
