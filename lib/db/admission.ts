import type postgres from "postgres";
import { TERMINAL_STATUSES } from "../lifecycle.ts";

export interface AdmissionLimits {
  userId: string;
  /** Whether the session would run live (only those count against `maxLiveSessions`). */
  live: boolean;
  maxLiveSessions: number;
  requestsPerMinute: number;
  minCreditsToStart: number;
}

export type AdmissionResult =
  | { admitted: true }
  | { admitted: false; reason: "requests"; retryAfterSeconds: number }
  | { admitted: false; reason: "live_sessions" }
  | { admitted: false; reason: "credits"; available: number };

/**
 * Decides, inside the transaction that inserts the session, whether the user may start one more.
 * Invariant: the per-user advisory lock serialises admissions of one user until that transaction
 * commits, so a burst of concurrent chats sees each admitted session (no read-then-insert race).
 * Every active session holds at least `minCreditsToStart` (or what it has metered, if more) of the
 * balance, so concurrent sessions can never together start on credits that only one of them had.
 */
export async function admitSession(
  tx: postgres.TransactionSql,
  limits: AdmissionLimits,
): Promise<AdmissionResult> {
  const terminal = [...TERMINAL_STATUSES];
  await tx`select pg_advisory_xact_lock(hashtextextended(${`admission:${limits.userId}`}, 0))`;
  const [row] = await tx<{ live: number; recent: number; reset: number | null; available: string }[]>`
    select
      count(*) filter (where s.status = 'live' and s.lease_expires_at > now())::int as live,
      count(*) filter (where s.created_at > now() - interval '60 seconds')::int as recent,
      extract(epoch from (min(s.created_at) filter (where s.created_at > now() - interval '60 seconds')
                          + interval '60 seconds' - now()))::float8 as reset,
      ((select coalesce(sum(l.amount), 0) from credit_ledger l where l.user_id = ${limits.userId})
       - coalesce(sum(greatest(s.metered_credits, ${limits.minCreditsToStart}))
                  filter (where s.status <> all(${terminal}::text[])), 0))::text as available
    from sessions s
    where s.user_id = ${limits.userId}
      and (s.status <> all(${terminal}::text[]) or s.created_at > now() - interval '60 seconds')`;
  const live = row?.live ?? 0;
  const recent = row?.recent ?? 0;
  if (recent >= limits.requestsPerMinute) {
    return {
      admitted: false,
      reason: "requests",
      retryAfterSeconds: Math.max(1, Math.ceil(row?.reset ?? 1)),
    };
  }
  if (limits.live && live >= limits.maxLiveSessions) return { admitted: false, reason: "live_sessions" };
  // Exact: the ledger and holds are numerics; their difference has at most six decimals.
  const available = Number(row?.available ?? 0);
  if (available < limits.minCreditsToStart) return { admitted: false, reason: "credits", available };
  return { admitted: true };
}
