/**
 * The session lifecycle of DESIGN §2 in one place, on the base floor (it imports nothing): its
 * states, the sets the SQL, the server and the browser share, and the named transitions with the
 * states each may start from. The port that performs them is `SessionTransitions`
 * (lib/session/ports.ts), implemented once over Postgres (lib/db/session-transitions.ts), whose SQL
 * builds its `where` from these sets, so the two can never disagree.
 *
 * ```
 * queued ─► live ─────────────► completed | failed | cancelled
 *    │        │ budget / client chose background
 *    │        ▼
 *    └──► background ─────────► completed | failed | cancelled
 *             ▲   │ lease expired → expire (epoch+1) → claim (epoch+1)
 *             └───┘
 *  live (connection-bound) at budget ─► interrupted ─► hand off ─► background (seam marked at claim)
 * ```
 */
export const SESSION_STATUSES = [
  "queued",
  "live",
  "background",
  "interrupted",
  "completed",
  "failed",
  "cancelled",
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Where a producer runs: the live route, a Trigger.dev task, or the local worker. */
export const RUNNER_KINDS = ["live", "trigger", "worker"] as const;
export type RunnerKind = (typeof RUNNER_KINDS)[number];

/** What the client asked for: `auto` lets the routing policy choose. */
export const SESSION_MODES = ["auto", "live", "background"] as const;
export type SessionMode = (typeof SESSION_MODES)[number];

/** A producer may still write: the session has not ended. */
export const ACTIVE_STATUSES = [
  "queued",
  "live",
  "background",
  "interrupted",
] as const satisfies readonly SessionStatus[];
export type TerminalStatus = "completed" | "failed" | "cancelled";
/** The session ended; nothing changes it any more. */
export const TERMINAL_STATUSES: readonly SessionStatus[] = [
  "completed",
  "failed",
  "cancelled",
] satisfies TerminalStatus[];
/** Waiting for a background runner when nobody holds the lease. */
export const AWAITING_RUNNER_STATUSES = [
  "queued",
  "background",
  "interrupted",
] as const satisfies readonly SessionStatus[];
/** A live runner's states, the ones a handoff starts from. */
export const LIVE_RUNNER_STATUSES = ["live", "interrupted"] as const satisfies readonly SessionStatus[];

/** The terminal statuses as a set, for readers that check membership often. */
export const TERMINAL_STATUS_SET: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
/** The active statuses as a set. */
export const ACTIVE_STATUS_SET: ReadonlySet<string> = new Set(ACTIVE_STATUSES);

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** A status set as a SQL list of literals, for `status in (…)` (constants only, never user input). */
export function statusList(statuses: readonly SessionStatus[]): string {
  return statuses.map((status) => `'${status}'`).join(", ");
}

export type TransitionName =
  | "start"
  | "handOff"
  | "claim"
  | "renew"
  | "release"
  | "expire"
  | "requestCancel"
  | "fenceOut"
  | "interrupt"
  | "finish";

export interface Transition {
  /** States it may start from (`start` creates the row). */
  from: readonly SessionStatus[];
  /** The state it leaves the session in; "same" keeps the current one. */
  to: SessionStatus | "same" | "terminal";
  /** Whether it raises the epoch, fencing out whichever producer wrote before. */
  raisesEpoch: boolean;
  /** Only the holder of the current epoch may perform it. */
  needsEpoch: boolean;
}

/**
 * Every named transition (`claimNext` is `claim` of whichever session waits longest). Why two of them raise the epoch:
 * - `handOff` raises it so the live runner, which may still be streaming (a zombie route past its
 *   budget), can no longer append: its next checkpoint answers "fenced".
 * - `claim` raises it again so an earlier attempt of the same background job (a Trigger.dev retry, a
 *   worker that lost its lease but is still alive) is fenced out by the attempt that claimed.
 * - `expire` and `fenceOut` raise it for the same reason when nobody answered: whoever may still be
 *   running is a zombie.
 */
export const TRANSITIONS: Record<TransitionName, Transition> = {
  start: { from: [], to: "same", raisesEpoch: false, needsEpoch: false },
  handOff: { from: LIVE_RUNNER_STATUSES, to: "background", raisesEpoch: true, needsEpoch: true },
  claim: { from: ACTIVE_STATUSES, to: "background", raisesEpoch: true, needsEpoch: false },
  renew: { from: ACTIVE_STATUSES, to: "same", raisesEpoch: false, needsEpoch: true },
  release: { from: ACTIVE_STATUSES, to: "same", raisesEpoch: false, needsEpoch: true },
  expire: { from: ACTIVE_STATUSES, to: "background", raisesEpoch: true, needsEpoch: true },
  requestCancel: { from: ACTIVE_STATUSES, to: "same", raisesEpoch: false, needsEpoch: false },
  fenceOut: { from: ACTIVE_STATUSES, to: "same", raisesEpoch: true, needsEpoch: false },
  interrupt: { from: ["live", "background"], to: "interrupted", raisesEpoch: false, needsEpoch: true },
  finish: { from: ACTIVE_STATUSES, to: "terminal", raisesEpoch: false, needsEpoch: true },
};

/** Whether `name` may start from `status` (the table the SQL enforces). */
export function allows(name: TransitionName, status: SessionStatus): boolean {
  return (TRANSITIONS[name].from as readonly SessionStatus[]).includes(status);
}
