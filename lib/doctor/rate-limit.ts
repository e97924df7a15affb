import { AppError } from "../errors.ts";

export interface DoctorRateLimit {
  /** Counts one stream for `userId`; throws 429 `rate_limit:doctor` with Retry-After when over. */
  admit(userId: string): void;
}

/**
 * A per-process sliding window of doctor streams per user. The doctor is a diagnostic, not a product
 * path: a limit per instance is enough to stop one account from holding many idle streams open, and
 * needs no table. (Several serverless instances each allow `perMinute`.)
 */
export function createDoctorRateLimit(perMinute: number, now: () => number = Date.now): DoctorRateLimit {
  const windows = new Map<string, number[]>();
  return {
    admit(userId) {
      const at = now();
      const recent = (windows.get(userId) ?? []).filter((time) => time > at - 60_000);
      if (recent.length >= perMinute) {
        const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + 60_000 - at) / 1000));
        windows.set(userId, recent);
        throw new AppError("rate_limit:doctor", `At most ${perMinute} doctor streams a minute.`, {
          retryAfterSeconds,
        });
      }
      recent.push(at);
      windows.set(userId, recent);
      // Forget users whose window emptied, so the map stays as small as the active set.
      for (const [id, times] of windows) if (times.every((time) => time <= at - 60_000)) windows.delete(id);
    },
  };
}
