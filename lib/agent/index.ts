export { AgentHttpError } from "./agent-http-error.ts";
export { getAgent, listAgents } from "./agents-config.ts";
export { costUsd, type ModelPrice } from "./prices.ts";
export { cancelAgentRun, isDetachable, streamAgent } from "./stream-agent.ts";
export type {
  AgentConfig,
  AgentCursor,
  AgentDoneReason,
  AgentEvent,
  AgentMessage,
  AgentRequest,
  AgentTransportName,
  StreamAgentOptions,
} from "./types.ts";
export { estimateRequestTokens, estimateTokens, type RunUsage } from "./usage-estimate.ts";
