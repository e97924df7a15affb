/** What one attempt to send a notification came to. */
export type DeliveryResult =
  | { kind: "sent"; providerId: string }
  /** Transient (network, 5xx, 429): try again, not before `retryAfterSeconds` when the provider said so. */
  | { kind: "retry"; reason: string; retryAfterSeconds?: number }
  /** Permanent: another attempt would fail the same way. `unlink` when the chat blocked the bot. */
  | { kind: "failed"; reason: string; unlink?: boolean }
  /**
   * Not a failure: the row is due again in `afterSeconds` (a running session's status message is
   * edited again; an edit waits for the chat's next slot). Never counts towards MAX_ATTEMPTS.
   */
  | { kind: "repeat"; afterSeconds: number; reason?: string };

/** Attempts before a transient failure is given up on. */
export const MAX_ATTEMPTS = 8;

/**
 * Seconds until the next attempt: the provider's Retry-After when it gave one, else exponential
 * backoff (2, 4, 8 … capped at 10 minutes).
 */
export function retryDelaySeconds(attempt: number, retryAfterSeconds?: number): number {
  const backoff = Math.min(600, 2 ** Math.max(1, attempt));
  return retryAfterSeconds !== undefined ? Math.max(retryAfterSeconds, 0) : backoff;
}
