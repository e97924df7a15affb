import { type AgentConfig, isDetachable, listAgents } from "../agent/index.ts";
import { getSql, type Sql } from "../db/client.ts";
import { billAbandonedRun } from "../db/run-billing.ts";
import { claimNextSession, claimSession, releaseLease } from "../db/session-lease.ts";
import { getSession, type RunnerKind, type SessionRow } from "../db/sessions.ts";
import { type Env, getEnv } from "../env.ts";
import { logError, logInfo } from "../log.ts";
import { dispatchSessionNotifications } from "../notify/dispatch.ts";
import { sessionBroadcaster } from "../realtime/index.ts";
import { buildAgentRequest } from "./agent-request.ts";
import { postgresRunPorts, type SessionObserver } from "./run-ports.ts";
import { type RunOutcome, runSession } from "./run-session.ts";
import { sessionRuntime } from "./runtime.ts";

export interface BackgroundRunInput {
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
  onProgress?: (progress: Parameters<SessionObserver["progress"]>[1]) => void;
  /** Followers of the run (Realtime, metering). */
  observers?: SessionObserver[];
  sql?: Sql;
  env?: Env;
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
  const sql = input.sql ?? getSql();
  const env = input.env ?? getEnv();
  const session = await claimSession(sql, input.sessionId, {
    ...claimOptions(input, env),
    expectedEpoch: input.expectedEpoch,
  });
  if (!session)
    return { notClaimed: true, offset: (await getSession(sql, input.sessionId))?.durableOffset ?? 0 };
  return (await withAgent(sql, env, session, input)) ?? { notClaimed: true, offset: session.durableOffset };
}

/** Claims whichever session waits longest for a background runner (the local worker); null if none. */
export async function claimNextForBackground(
  input: Omit<BackgroundRunInput, "sessionId">,
): Promise<ClaimedSession | "none" | "unrunnable"> {
  const sql = input.sql ?? getSql();
  const env = input.env ?? getEnv();
  const session = await claimNextSession(sql, claimOptions(input, env));
  if (!session) return "none";
  return (await withAgent(sql, env, session, input)) ?? "unrunnable";
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
  sql: Sql,
  env: Env,
  session: SessionRow,
  input: Pick<BackgroundRunInput, "runner">,
): Promise<ClaimedSession | undefined> {
  const agent = findAgent(env, session.agent);
  if (!agent) {
    // Unreachable while the claim filters by known agents; hand it back rather than fail it.
    await releaseLease(sql, session.id, session.epoch, env.LEASE_SECONDS);
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
  const sql = input.sql ?? getSql();
  const env = input.env ?? getEnv();
  const { session, agent, detachable } = claimed;
  const cursor = detachable ? parseAgentCursor(session.agentCursor) : undefined;
  const control = await sessionRuntime(sql).runners.register(session.id);
  const cancel = anySignal([control.signal, input.signal]);
  try {
    const { request, continuesAfter } = await buildAgentRequest(sql, session, {
      continuation: !cursor && session.durableOffset > 0,
    });
    const outcome = await runSession({
      ports: postgresRunPorts(sql, {
        observers: [sessionBroadcaster({ sql, env }), ...backgroundObservers(input)],
      }),
      sessionId: session.id,
      epoch: session.epoch,
      agent,
      request,
      startOffset: session.durableOffset,
      continuesAfter,
      cursor,
      signal: cancel,
      yieldSignal: anySignal([control.yieldSignal, input.yieldSignal]),
      checkpoint: {
        intervalMs: env.CHECKPOINT_MS,
        maxBytes: env.CHECKPOINT_BYTES,
        leaseSeconds: env.LEASE_SECONDS,
      },
      startedAt: session.startedAt?.getTime(),
    });
    // Stopped without finishing (shutdown): hand the session to another runner right away.
    if (outcome.kind === "budget") await releaseLease(sql, session.id, session.epoch, env.LEASE_SECONDS);
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
  const mirror: SessionObserver[] = onProgress
    ? [
        {
          appended: () => {},
          progress: (_sessionId, progress) => onProgress(progress),
          statusChanged: () => {},
        },
      ]
    : [];
  return [...mirror, ...(input.observers ?? [])];
}

function findAgent(env: Env, name: string): AgentConfig | undefined {
  return listAgents(env).find((agent) => agent.name === name);
}

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
