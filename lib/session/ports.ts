/**
 * Every port the session core uses, declared here and implemented outside it: lib/db implements
 * the store ports over Postgres (`createPostgresTransitions`, `appendCheckpoint`, `meterRun`, …),
 * lib/realtime the broadcaster observer, lib/agent the agent stream. The core (runSession, the
 * checkpointer, metering, the seam joiner) imports these types and never an adapter.
 */
import type { AgentConfig, AgentCursor, AgentEvent, AgentRequest } from "../agent/index.ts";
import type { RunnerKind, SessionMode, SessionStatus, TerminalStatus } from "../lifecycle.ts";
import type { Clock } from "./clock.ts";

export type { Clock, TimerHandle } from "./clock.ts";

/** A session row as the lifecycle and the runners read it. */
export interface SessionRow {
  id: string;
  userId: string;
  conversationId: string;
  agent: string;
  title: string;
  mode: SessionMode;
  status: SessionStatus;
  runner: RunnerKind | null;
  runId: string | null;
  epoch: number;
  leaseExpiresAt: Date | null;
  durableOffset: number;
  /** The agent's own resume point (see `parseAgentCursor`), as stored. */
  agentCursor: unknown;
  seamOffsets: number[];
  /** The joiner a continuation wrote at a seam, by seam offset (absent: none was needed). */
  seamJoiners: Record<string, string>;
  progress: Record<string, unknown> | null;
  usage: { inputTokens: number; outputTokens: number; estimated?: boolean } | null;
  costUsd: number | null;
  error: { code: string; message: string } | null;
  cancelRequested: boolean;
  /** When the retention sweep deleted the log (SESSION_RETENTION_DAYS); null while it is kept. */
  logDeletedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

// ── The lifecycle ─────────────────────────────────────────────────────────────────────────────

export interface AdmissionLimits {
  maxLiveSessions: number;
  requestsPerMinute: number;
  minCreditsToStart: number;
}

export type AdmissionRefused =
  | { admitted: false; reason: "requests"; retryAfterSeconds: number }
  | { admitted: false; reason: "live_sessions" }
  | { admitted: false; reason: "credits"; available: number };

export interface StartSessionInput {
  userId: string;
  /** An existing conversation of the user, or undefined to start a new one. */
  conversationId?: string;
  message: string;
  /**
   * A client-chosen chat id (the AI SDK's `useChat` id): the user's conversation with this id, created
   * on first use. Scoped to the user: another user's chat with the same id is another conversation.
   */
  chatId?: string;
  /** Re-run the conversation's last user turn (AI SDK `regenerate-message`): its answer is replaced. */
  regenerate?: boolean;
  agent: string;
  mode: SessionMode;
  status: Extract<SessionStatus, "live" | "background" | "queued">;
  runner: RunnerKind | null;
  /** Who produces it (a live route process); null for a session waiting for a background runner. */
  leaseOwner: string | null;
  title: string;
  leaseSeconds: number;
  /** Checked atomically with the insert (per-user lock); without it the session is always admitted. */
  admission?: AdmissionLimits;
  /** The caller's cap on this session's cost, in credits. */
  maxCredits?: number;
}

export interface StartedSession {
  sessionId: string;
  conversationId: string;
  userMessageId: string;
  epoch: number;
}

export interface ClaimOptions {
  runner: RunnerKind;
  owner: string;
  leaseSeconds: number;
  /**
   * Agents that re-attach at a cursor. Any other agent stopped mid-answer is continued with a new
   * request, so the claim records a seam at the durable offset.
   */
  detachableAgents: readonly string[];
  /**
   * The agents this runner can run (its `AGENTS`). A session of any other agent is never claimed: a
   * runner configured differently leaves it to one that knows it, rather than failing it.
   */
  knownAgents: readonly string[];
}

export interface FinishSessionInput {
  sessionId: string;
  epoch: number;
  status: TerminalStatus;
  /** The ending run's bill (its usage is added to the session's totals); null when no run is billed. */
  run: Omit<RunBill, "sessionId" | "epoch"> | null;
  error: { code: string; message: string } | null;
}

/**
 * Every transition of the lifecycle (lib/lifecycle.ts), the only writer of `sessions.status`. Each
 * method commits, then tells the observers (`statusChanged`) when it changed the row, so nobody
 * announces a transition by hand. `null`/`"fenced"`/`false`: the session was not in a state (or at
 * the epoch) the transition starts from; nothing changed.
 */
export interface SessionTransitions {
  /** Creates (or continues) the conversation and the session, admission checked in the same transaction. */
  start(input: StartSessionInput): Promise<StartedSession | "not_found" | AdmissionRefused>;
  /** Live → background at epoch + 1 (fences the live runner). Returns the new epoch. */
  handOff(sessionId: string, epoch: number): Promise<number | null>;
  /** Takes one session's lease (a dispatch's claim) at epoch + 1. */
  claim(sessionId: string, options: ClaimOptions & { expectedEpoch?: number }): Promise<SessionRow | null>;
  /** Takes whichever session waits longest for a background runner, at epoch + 1. */
  claimNext(options: ClaimOptions): Promise<SessionRow | null>;
  /** Takes up to `limit` of the sessions waiting longest, in one statement, each at epoch + 1. */
  claimWaiting(options: ClaimOptions, limit: number): Promise<SessionRow[]>;
  /** A producer's lease expired: background at epoch + 1, unowned, for a re-dispatch. */
  expire(sessionId: string, epoch: number): Promise<number | null>;
  /** A runner that stops without finishing hands the session back for another to claim now. */
  release(sessionId: string, epoch: number): Promise<"ok" | "fenced">;
  /** Takes the session from whoever runs it (epoch + 1) so it can be finished here. */
  fenceOut(sessionId: string): Promise<number | null>;
  /** Flags a cancel and tells every process; false if the session already ended. */
  requestCancel(sessionId: string): Promise<boolean>;
  /** A live connection-bound runner stopped at its budget. */
  interrupt(sessionId: string, epoch: number): Promise<"ok" | "fenced">;
  /** Ends the session (status, bill, final message, notifications) if the epoch still holds it. */
  finish(input: FinishSessionInput): Promise<"ok" | "fenced">;
}

// ── Observers ─────────────────────────────────────────────────────────────────────────────────

export interface ObservedProgress {
  stage: string | null;
  outputTokens: number;
  elapsedMs: number;
  /** True while the agent has not reported usage: `outputTokens` is then an estimate. */
  estimated: boolean;
  /** Credits the running agent run has used so far (metered while it runs; exact, a decimal). */
  credits?: number;
}

/**
 * What the outside world hears of a session, after the fact and without waiting: each durable
 * append, each progress update, each committed status change (told by `SessionTransitions`).
 * Implementations must never throw, block or slow the caller (the Realtime broadcaster queues and
 * drops to a bounded state).
 */
export interface SessionObserver {
  /**
   * `epoch`: the writer's (a reader resumes from `<epoch>:<offset>` as with SSE). `watch`: who watches
   * as the write found it (absent when the runner's store does not say: treat as watched).
   */
  appended(append: {
    sessionId: string;
    from: number;
    to: number;
    text: string;
    epoch: number;
    watch?: WatchState;
  }): void;
  progress(sessionId: string, progress: ObservedProgress, watch?: WatchState): void;
  /** The row changed status or producer (created, live, background, interrupted, ended): re-read it. */
  statusChanged(sessionId: string): void;
}

// ── The runner's stores ───────────────────────────────────────────────────────────────────────

/** What a producer records beside its text, at a byte of the log (see `session_marks`). */
export type LogMarkKind = "tool" | "runner" | "progress";

export interface LogMark {
  /** The producer's count of its marks (per epoch): the write's idempotency key. */
  seq: number;
  /** The byte offset it happened at: after every delta ending at or before it. */
  at: number;
  kind: LogMarkKind;
  data: Record<string, unknown>;
}

export interface AppendCheckpoint {
  sessionId: string;
  epoch: number;
  /** Must equal the session's durable offset: appends are contiguous. */
  startOffset: number;
  text: string;
  /**
   * Where the producer's deltas ended (absolute, ascending, inside this write): stored per row so a
   * replay splits text where the live response did (lib/ui-stream numbering). Omitted: not recorded.
   */
  deltaEnds?: number[];
  /** The producer's marks (tool calls, runner, progress) made since the last write (`session_marks`). */
  marks?: LogMark[];
  agentCursor?: unknown;
  progress?: unknown;
  /** Extends the writer's lease while it is alive. */
  leaseSeconds: number;
  /** Largest row of the log (CHECKPOINT_BYTES); longer text is split. */
  maxChunkBytes?: number;
}

/** "duplicate": this exact write already landed (a lost reply). */
export type CheckpointOutcome = "ok" | "duplicate" | "fenced";

/**
 * Who is watching, as a checkpoint write found it (issue 19): how many more milliseconds the
 * session's watch (`sessions.watched_until`) and its owner's sessions-list watch last; 0 for none.
 */
export interface Watchers {
  sessionMs: number;
  listMs: number;
}

/** Whether anyone watches the session and its owner's sessions list, now. */
export interface WatchState {
  session: boolean;
  list: boolean;
}

/**
 * Appends to the session log. A store that reads the watchers with the write answers them too (the
 * Postgres store does, by RETURNING); one that does not leaves the writer's pace as it was.
 */
export type CheckpointStore = (
  write: AppendCheckpoint,
) => Promise<CheckpointOutcome | { outcome: CheckpointOutcome; watchers: Watchers }>;

export interface RunBill {
  sessionId: string;
  /** The producer's epoch and its agent request within that epoch: together they name the run. */
  epoch: number;
  run: number;
  usage: { inputTokens: number; outputTokens: number; estimated: boolean };
  costUsd: number;
}

export type MeterVerdict = "ok" | "out_of_credits" | "over_cap";

/** A metering step's answer: the verdict, and the credits the run may still use before it must stop. */
export interface MeterReading {
  verdict: MeterVerdict;
  /** Credits left before the balance or the cap stops the run (null: unknown, e.g. a stale producer). */
  headroom: number | null;
}

/** One metering step of a running run. */
export interface MeterStep {
  sessionId: string;
  epoch: number;
  /** Credits the run has used so far, exact. */
  credits: number;
  /** The run's usage and cost so far: what it is billed if its producer dies before billing it. */
  bill: Pick<RunBill, "usage" | "costUsd">;
}

/** A session's usage totals over its billed runs, and their cost. */
export interface SessionUsage {
  usage: { inputTokens: number; outputTokens: number; estimated: boolean } | null;
  costUsd: number | null;
}

/** Metering and billing of a producer's run, and the session's billed totals. */
export interface RunBilling {
  /** One metering step: records the run's hold on the balance and says whether it must stop. */
  meter(step: MeterStep): Promise<MeterReading>;
  /** Bills a run that ends without ending the session (a handoff or a fence), in its own transaction. */
  billAlone(bill: RunBill): Promise<void>;
  /** The session's usage totals and cost over its billed runs (the live `done` event). */
  usage(sessionId: string): Promise<SessionUsage>;
}

export interface SeamJoinerWrite {
  sessionId: string;
  epoch: number;
  seamOffset: number;
  joiner: string;
}

/** Everything a runner does outside its own memory: the ports `runSession` receives. */
export interface RunPorts {
  /** Appends checkpoints to the session log (`appendCheckpoint` on Postgres, or an in-memory log). */
  log: CheckpointStore;
  /** Opens (or re-attaches) the agent's event stream. */
  streamAgent(
    agent: AgentConfig,
    request: AgentRequest,
    options: { signal: AbortSignal; cursor?: AgentCursor },
  ): AsyncIterable<AgentEvent>;
  /** Cancels the provider's run where the transport allows it. */
  cancelAgentRun(agent: AgentConfig, cursor: AgentCursor | undefined): Promise<void>;
  /** Ends the session: the lifecycle's `finish` (which announces it). */
  finish: SessionTransitions["finish"];
  /** Metering, the bill of an unfinished run and the final totals. */
  billing: RunBilling;
  /** Records the joiner put between the text before a seam and its continuation (if the epoch holds). */
  recordSeamJoiner(write: SeamJoinerWrite): Promise<void>;
  clock: Clock;
  /** Told of each durable append and progress (status changes come from the lifecycle). */
  observers: readonly SessionObserver[];
}
