import { type AgentConfig, isDetachable, listAgents } from "../agent/index.ts";
import { billAbandonedRun } from "../db/run-billing.ts";
import { getSession } from "../db/sessions.ts";
import type { Env } from "../env.ts";
import type { RunnerKind } from "../lifecycle.ts";
import { logError, logInfo } from "../log.ts";
import { dispatchSessionNotifications } from "../notify/dispatch.ts";
import { postgresRunPorts } from "../runtime/run-ports.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { buildAgentRequest } from "./agent-request.ts";
import type { ObservedProgress, SessionObserver, SessionRow } from "./ports.ts";
import { checkpointSettings } from "./run-input.ts";
import { type RunOutcome, runSession } from "./run-session.ts";

export interface BackgroundRunInput {
  /** The process's runtime. */
  runtime: Runtime;
  sessionId: string;
  /** The dispatch's epoch: claim only if nobody took the session since (or its lease expired). */
  expectedEpoch?: number;
  runner: Extract<RunnerKind, "trigger" | "worker">;
  /** Who holds the lease (worker id, run id); for operators. */
  owner: string;
  /** Cancels the session (Trigger.dev run cancelled). */
  signal?: AbortSignal;
  /** Stops producing but leaves the session to another runner (worker shutting down). */
  yieldSignal?: AbortSignal;
  /** Mirrors the run's progress (the Trigger.dev task's run metadata). */
  onProgress?: (progress: ObservedProgress) => void;
}

export type BackgroundOutcome = RunOutcome | { kind: "not_claimed"; offset: number };

/**
 * Claims a session (epoch + 1) and produces the rest of it from its checkpoint: a detachable agent is
 * re-attached at its stored cursor; a connection-bound one gets a continuation request, with the
 * seam recorded at the durable offset.
 */
export async function runBackgroundSession(input: BackgroundRunInput): Promise<BackgroundOutcome> {
  const claimed = await claimForBackground(input);
  if ("notClaimed" in claimed) return { kind: "not_claimed", offset: claimed.offset };
  return produceClaimedSession(claimed, input);
}

export interface ClaimedSession {
  session: SessionRow;
  agent: AgentConfig;
  detachable: boolean;
}

/** Claims the session named by a dispatch (the Trigger.dev task; `expectedEpoch` is the dispatch's). */
export async function claimForBackground(
  input: BackgroundRunInput,
): Promise<ClaimedSession | { notClaimed: true; offset: number }> {
  const { sql, env, transitions } = input.runtime;
  const session = await transitions.claim(input.sessionId, {
    ...claimOptions(input, env),
    expectedEpoch: input.expectedEpoch,
  });
  if (!session)
    return { notClaimed: true, offset: (await getSession(sql, input.sessionId))?.durableOffset ?? 0 };
  return (
    (await withAgent(input.runtime, session, input)) ?? { notClaimed: true, offset: session.durableOffset }
  );
}

/** Claims whichever session waits longest for a background runner (the local worker); null if none. */
export async function claimNextForBackground(
  input: Omit<BackgroundRunInput, "sessionId">,
): Promise<ClaimedSession | "none" | "unrunnable"> {
  const { claimed, taken } = await claimWaitingForBackground(input, 1);
  if (taken === 0) return "none";
  return claimed[0] ?? "unrunnable";
}

/**
 * Claims up to `limit` of the sessions waiting longest for a background runner in one statement
 * (the local worker filling its free slots); their agents are prepared side by side. Fewer than
 * `limit` (perhaps none) when fewer wait; a session handed back as unrunnable is left out.
 */
export async function claimWaitingForBackground(
  input: Omit<BackgroundRunInput, "sessionId">,
  limit: number,
): Promise<{ claimed: ClaimedSession[]; taken: number }> {
  const sessions = await input.runtime.transitions.claimWaiting(
    claimOptions(input, input.runtime.env),
    limit,
  );
  const prepared = await Promise.all(sessions.map((session) => withAgent(input.runtime, session, input)));
  return {
    claimed: prepared.filter((claimed): claimed is ClaimedSession => claimed !== undefined),
    taken: sessions.length,
  };
}

function claimOptions(input: Pick<BackgroundRunInput, "runner" | "owner">, env: Env) {
  const agents = listAgents(env);
  return {
    runner: input.runner,
    owner: input.owner,
    leaseSeconds: env.LEASE_SECONDS,
    detachableAgents: agents.filter(isDetachable).map((agent) => agent.name),
    // Only sessions of agents this runner knows: one configured otherwise leaves them to another.
    knownAgents: agents.map((agent) => agent.name),
  };
}

/** The claimed session with its agent (the claim only takes sessions of agents this runner knows). */
async function withAgent(
  runtime: Runtime,
  session: SessionRow,
  input: Pick<BackgroundRunInput, "runner">,
): Promise<ClaimedSession | undefined> {
  const { sql, env } = runtime;
  const agent = findAgent(env, session.agent);
  if (!agent) {
    // Unreachable while the claim filters by known agents; hand it back rather than fail it.
    await runtime.transitions.release(session.id, session.epoch);
    return undefined;
  }
  // A connection-bound run cut without billing itself (its producer died) is billed from its hold; a
  // detachable run is not abandoned: this producer re-attaches and bills all of it.
  if (!isDetachable(agent)) await billAbandonedRun(sql, session.id);
  logInfo("background runner claimed session", {
    sessionId: session.id,
    epoch: session.epoch,
    runner: input.runner,
    offset: session.durableOffset,
  });
  return { session, agent, detachable: isDetachable(agent) };
}

/** Produces a claimed session until it ends, is cancelled, fenced, or yielded. */
export async function produceClaimedSession(
  claimed: ClaimedSession,
  input: BackgroundRunInput,
): Promise<RunOutcome> {
  const { runtime } = input;
  const { sql, env } = runtime;
  const { session, agent, detachable } = claimed;
  const cursor = detachable ? parseAgentCursor(session.agentCursor) : undefined;
  const control = await runtime.runners.register(session.id);
  const cancel = anySignal([control.signal, input.signal]);
  try {
    const { request, continuesAfter } = await buildAgentRequest(sql, session, {
      continuation: !cursor && session.durableOffset > 0,
    });
    const outcome = await runSession({
      ports: postgresRunPorts(runtime, { observers: [...runtime.observers, ...backgroundObservers(input)] }),
      sessionId: session.id,
      epoch: session.epoch,
      agent,
      request,
      startOffset: session.durableOffset,
      continuesAfter,
      cursor,
      signal: cancel,
      yieldSignal: anySignal([control.yieldSignal, input.yieldSignal]),
      checkpoint: checkpointSettings(env),
      startedAt: session.startedAt?.getTime(),
      runner: session.runner,
    });
    // Stopped without finishing (shutdown): hand the session to another runner right away.
    if (outcome.kind === "budget") await runtime.transitions.release(session.id, session.epoch);
    else if (outcome.kind !== "fenced") await dispatchSessionNotifications(sql, env, session.id);
    return outcome;
  } catch (error) {
    logError("background runner failed", { sessionId: session.id, epoch: session.epoch, error });
    throw error;
  } finally {
    control.release();
  }
}

function backgroundObservers(input: BackgroundRunInput): SessionObserver[] {
  const { onProgress } = input;
  if (!onProgress) return [];
  return [
    { appended: () => {}, progress: (_sessionId, progress) => onProgress(progress), statusChanged: () => {} },
  ];
}

function findAgent(env: Env, name: string): AgentConfig | undefined {
  return listAgents(env).find((agent) => agent.name === name);
}

/** The agent's resume point as stored on the session (`agent_cursor`), if it is one. */
function parseAgentCursor(value: unknown): { responseId: string; sequenceNumber: number } | undefined {
  if (!value || typeof value !== "object") return undefined;
  const { responseId, sequenceNumber } = value as Record<string, unknown>;
  return typeof responseId === "string" && typeof sequenceNumber === "number"
    ? { responseId, sequenceNumber }
    : undefined;
}

function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((signal): signal is AbortSignal => signal !== undefined));
}
