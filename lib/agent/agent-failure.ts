/**
 * What a failed agent run is to our user. The agent's own words (its status, error type and message)
 * are for the operator's log; the user gets a code that blames the right party: an agent's
 * configuration or upstream failing is `bad_gateway:agent_*` (502) and a passing condition is
 * `service_unavailable:agent_*` (503) — never `unauthorized` or `bad_request`, which would tell a
 * client that the user or their request is at fault.
 */
export interface AgentFailure {
  code: `bad_gateway:agent_${string}` | `service_unavailable:agent_${string}`;
  message: string;
}

/** The raw failure as the transports report it: HTTP status (0 = no answer, undefined = mid-stream) and code. */
export interface RawAgentFailure {
  status?: number;
  code: string;
  message: string;
}

const passing = new Set([
  "rate_limited",
  "rate_limit_exceeded",
  "rate_limit_error",
  "overloaded",
  "overloaded_error",
  "service_unavailable",
  "network",
]);

export function classifyAgentFailure(agentName: string, failure: RawAgentFailure): AgentFailure {
  const { status, code } = failure;
  if (status === 401 || status === 403) {
    return {
      code: "bad_gateway:agent_auth",
      message: `The agent "${agentName}" refused this service's credentials; its configuration needs fixing.`,
    };
  }
  if (status === 429 || code.startsWith("rate_limit")) {
    return {
      code: "service_unavailable:agent_rate_limited",
      message: `The agent "${agentName}" is rate-limiting this service; try again in a moment.`,
    };
  }
  if (isTimeout(failure)) {
    return {
      code: "service_unavailable:agent_timeout",
      message: `The agent "${agentName}" timed out (its model provider did not answer in time); try again later.`,
    };
  }
  if (status === 0 || code === "network" || code === "agent_unreachable") {
    return {
      code: "service_unavailable:agent_unreachable",
      message: `The agent "${agentName}" could not be reached; try again later.`,
    };
  }
  if (status === 503 || status === 529 || passing.has(code)) {
    return {
      code: "service_unavailable:agent_overloaded",
      message: `The agent "${agentName}" is overloaded; try again later.`,
    };
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      code: "bad_gateway:agent_request",
      message: `The agent "${agentName}" rejected the request; its configuration (such as its model) needs fixing.`,
    };
  }
  if (code === "malformed_frame" || code === "unknown_event") {
    return {
      code: "bad_gateway:agent_protocol",
      message: `The agent "${agentName}" sent a stream this service cannot read; the output so far is kept.`,
    };
  }
  if (code === "stream_truncated" || code === "connection_lost") {
    return {
      code: "bad_gateway:agent_stream_ended",
      message: `The agent "${agentName}" ended its answer early; the output so far is kept.`,
    };
  }
  return {
    code: "bad_gateway:agent_error",
    message: `The agent "${agentName}" failed; the output so far is kept.`,
  };
}

/**
 * A timeout anywhere on the way: ours connecting or reading (undici's `UND_ERR_*_TIMEOUT`,
 * `ETIMEDOUT`), an HTTP 408/504, or the OpenClaw gateway's `upstream provider timeout` (its model
 * provider did not answer), which arrives as an ordinary `api_error` event: only its words tell.
 */
function isTimeout({ status, code, message }: RawAgentFailure): boolean {
  if (status === 408 || status === 504 || code === "timeout") return true;
  return /upstream provider timeout|UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT|ETIMEDOUT|\btimed out\b/i.test(
    message,
  );
}
