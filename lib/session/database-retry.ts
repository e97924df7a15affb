import { logError } from "../log.ts";
import { type Clock, sleep } from "./clock.ts";
import type { RunPorts } from "./ports.ts";

/** The longest wait between two tries, as for checkpoint writes. */
const MAX_BACKOFF_MS = 5000;

/** Returned by `retryDatabaseStep` when the run stopped before the step succeeded. */
export const STOPPED = Symbol("stopped");

/**
 * Runs one database step of a running session (a metering step, a seam's joiner) until it succeeds,
 * waiting 100 ms, 200 ms, … up to 5 s between tries, exactly as a failed checkpoint write is retried.
 * A database error (a restart, a dropped connection) is never the agent's failure: it delays the run,
 * it does not end it. Gives up only when `signal` aborts (the run is stopping anyway): `STOPPED`.
 */
export async function retryDatabaseStep<T>(
  step: () => Promise<T>,
  options: { clock: Clock; signal: AbortSignal; onRetry: (error: unknown, attempt: number) => void },
): Promise<T | typeof STOPPED> {
  for (let attempt = 1; ; attempt++) {
    if (options.signal.aborted) return STOPPED;
    try {
      return await step();
    } catch (error) {
      options.onRetry(error, attempt);
      await sleep(options.clock, Math.min(MAX_BACKOFF_MS, 100 * 2 ** (attempt - 1)), options.signal);
    }
  }
}

/**
 * The database ports a runner calls while it streams (metering steps, a seam's joiner), each retried
 * by `retryDatabaseStep` and logged with the session's ids. A metering step that cannot be stored yet
 * holds the stream, as every step does; if the run stops meanwhile, its bill at the end covers it.
 */
export function retryingStreamPorts(
  ports: Pick<RunPorts, "billing" | "recordSeamJoiner" | "clock">,
  run: { sessionId: string; epoch: number; signal: AbortSignal },
): Pick<RunPorts, "billing" | "recordSeamJoiner"> {
  const { billing, recordSeamJoiner, clock } = ports;
  const retry = <T>(what: string, step: () => Promise<T>) =>
    retryDatabaseStep(step, {
      clock,
      signal: run.signal,
      onRetry: (error, attempt) =>
        logError(`${what} failed; retrying`, { sessionId: run.sessionId, epoch: run.epoch, attempt, error }),
    });
  return {
    billing: {
      ...billing,
      meter: async (step) => {
        const reading = await retry("metering step", () => billing.meter(step));
        return reading === STOPPED ? { verdict: "ok", headroom: null } : reading;
      },
    },
    recordSeamJoiner: async (write) => void (await retry("seam joiner", () => recordSeamJoiner(write))),
  };
}
