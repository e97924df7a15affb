import { WireError } from "@/lib/session/wire.ts";
import { ApiError } from "./session-api.ts";

const RECOVERY_DELAYS_MS = [1000, 2000, 4000, 8000];

/** How long to wait before the snapshot re-read after `attempt` earlier ones (backing off to 8 s). */
export function recoveryDelay(attempt: number): number | undefined {
  return RECOVERY_DELAYS_MS[Math.min(attempt, RECOVERY_DELAYS_MS.length - 1)];
}

/** A refusal that trying again will not change: a 4xx other than 429. */
export function isFinalRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status < 500 && error.status !== 429;
}

/** The code and message the page shows for a failed request or an unreadable event. */
export function describe(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.explanation };
  if (error instanceof WireError) return { code: "unreadable_event", message: error.message };
  return { code: "network", message: "Could not reach the server. Check your connection and try again." };
}
