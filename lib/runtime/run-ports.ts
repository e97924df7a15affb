import { cancelAgentRun, streamAgent } from "../agent/index.ts";
import type { Sql } from "../db/client.ts";
import { billRunAlone, meterRun, readSessionUsage } from "../db/run-billing.ts";
import { recordSeamJoiner } from "../db/seam-joiners.ts";
import { writeCheckpoint } from "../db/session-log.ts";
import type { RunPorts } from "../session/ports.ts";

/**
 * The production ports of `runSession` on a runtime's pool, lifecycle, clock and observers;
 * `overrides` replaces any of them.
 */
export function postgresRunPorts(
  runtime: {
    sql: Sql;
    transitions: Pick<RunPorts, "finish">;
    clock: RunPorts["clock"];
    observers: RunPorts["observers"];
  },
  overrides: Partial<RunPorts> = {},
): RunPorts {
  const { sql } = runtime;
  return {
    log: (write) => writeCheckpoint(sql, write),
    streamAgent: (agent, request, options) => streamAgent(agent, request, options),
    cancelAgentRun,
    finish: (input) => runtime.transitions.finish(input),
    billing: {
      meter: (step) => meterRun(sql, step),
      billAlone: (bill) => billRunAlone(sql, bill),
      usage: (sessionId) => readSessionUsage(sql, sessionId),
    },
    recordSeamJoiner: (write) => recordSeamJoiner(sql, write),
    clock: runtime.clock,
    observers: runtime.observers,
    ...overrides,
  };
}
