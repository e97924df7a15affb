import { logger, metadata, queue, schemaTask, tasks } from "@trigger.dev/sdk";
import { z } from "zod";
import type { AgentSessionTask } from "../lib/jobs/dispatch.ts";
import { runBackgroundSession } from "../lib/session/background.ts";
import { taskRuntime } from "./runtime.ts";

export const agentSessionQueue = queue({ name: "agent-sessions", concurrencyLimit: 50 });

/**
 * Continues one session in the background from its checkpoint (DESIGN §2). A retried attempt starts
 * over and simply resumes from the durable offset: the epoch fences the attempt before it.
 */
export const agentSessionTask = schemaTask({
  id: "agent-session",
  schema: z.object({ sessionId: z.uuid(), epoch: z.number().int().min(1) }),
  queue: agentSessionQueue,
  maxDuration: 6 * 60 * 60,
  retry: { maxAttempts: 3, minTimeoutInMs: 1000, maxTimeoutInMs: 10_000, factor: 2 },
  run: async (payload, { ctx, signal }): Promise<{ outcome: string; offset: number }> => {
    // Cancelling the run aborts `signal`; the runner then stops the agent and keeps the partial output.
    tasks.onCancel(async () => {
      logger.info("agent session run cancelled", { sessionId: payload.sessionId });
    });
    const result = await runBackgroundSession({
      runtime: taskRuntime(),
      sessionId: payload.sessionId,
      expectedEpoch: payload.epoch,
      runner: "trigger",
      owner: ctx.run.id,
      signal,
      onProgress: (progress) => {
        metadata.set("progress", { ...progress });
      },
    });
    return { outcome: result.kind, offset: result.offset };
  },
});

// The dispatcher (lib/jobs/dispatch.ts) triggers this task by that declaration: they must agree.
agentSessionTask satisfies AgentSessionTask;
