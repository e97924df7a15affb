import { classifyAgentFailure, type RawAgentFailure } from "../agent/agent-failure.ts";
import type { AgentConfig } from "../agent/types.ts";
import { OUT_OF_CREDITS_CODE } from "../credits.ts";
import { logError } from "../log.ts";
import type { MeterStop } from "./metering.ts";

/** The user-facing failure of an agent run; the agent's own words go to the log only. */
export function blameAgent(
  input: { sessionId: string; epoch: number; agent: Pick<AgentConfig, "name"> },
  failure: RawAgentFailure,
): { code: string; message: string } {
  logError("agent run failed", {
    sessionId: input.sessionId,
    epoch: input.epoch,
    agent: input.agent.name,
    agentStatus: failure.status,
    agentCode: failure.code,
    agentMessage: failure.message,
  });
  return classifyAgentFailure(input.agent.name, failure);
}

/** Why a run stopped at a metering step, as the session's error. */
export const outOfCredits: Record<MeterStop, { code: string; message: string }> = {
  out_of_credits: {
    code: OUT_OF_CREDITS_CODE,
    message: "The session stopped: its cost reached your credit balance. The output so far is kept.",
  },
  over_cap: {
    code: OUT_OF_CREDITS_CODE,
    message: "The session stopped: its cost reached the credit limit set for it. The output so far is kept.",
  },
};
