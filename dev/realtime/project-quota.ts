import { z } from "zod";

/** Supabase Pro's Realtime quotas per project (supabase.com/docs/guides/realtime/quotas). */
export const PRO_MESSAGES_PER_SECOND = 500;
export const PRO_MAX_CONNECTIONS = 500;

const quotaSettings = z.object({
  REALTIME_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).default(PRO_MESSAGES_PER_SECOND),
  REALTIME_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(PRO_MAX_CONNECTIONS),
});

/**
 * The stand-in's project quotas from the environment: `REALTIME_MESSAGES_PER_SECOND` and
 * `REALTIME_MAX_CONNECTIONS` (both default to Supabase Pro's 500). A bad value fails naming it.
 */
export function realtimeQuotasFromEnv(env: Record<string, string | undefined> = process.env): {
  messagesPerSecond: number;
  maxConnections: number;
} {
  const source = {
    REALTIME_MESSAGES_PER_SECOND: env.REALTIME_MESSAGES_PER_SECOND || undefined,
    REALTIME_MAX_CONNECTIONS: env.REALTIME_MAX_CONNECTIONS || undefined,
  };
  const parsed = quotaSettings.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid Realtime stand-in settings. Fix these variables: ${problems.join("; ")}`);
  }
  return {
    messagesPerSecond: parsed.data.REALTIME_MESSAGES_PER_SECOND,
    maxConnections: parsed.data.REALTIME_MAX_CONNECTIONS,
  };
}

export interface MessageRateOptions {
  /** The project's messages-per-second quota. */
  limit: number;
  /** Realtime's tenant events counter ticks every 5 s … */
  tickMs?: number;
  /** … and averages the last 12 ticks (one minute). */
  maxBuckets?: number;
  /** Called when the average reaches the limit (Realtime then closes every channel of the project). */
  onTriggered: () => void;
  /** Called when the average falls below the limit again. */
  onCleared?: () => void;
}

/**
 * Realtime's per-project message counter (`Tenants.events_per_second_rate`, a `RateCounter`): every
 * message sent by or delivered to a client counts; each tick pushes the tick's count into a bucket
 * of the last `maxBuckets` ticks and the average per second over them is compared with the limit.
 * Reaching it triggers the limit (logged once) until the average falls below it again.
 */
export class ProjectMessageRate {
  readonly limit: number;
  readonly #tickMs: number;
  readonly #maxBuckets: number;
  readonly #onTriggered: () => void;
  readonly #onCleared: () => void;
  readonly #timer: ReturnType<typeof setInterval>;
  #count = 0;
  #total = 0;
  #buckets: number[] = [];
  #triggered = false;

  constructor(options: MessageRateOptions) {
    this.limit = options.limit;
    this.#tickMs = options.tickMs ?? 5000;
    this.#maxBuckets = options.maxBuckets ?? 12;
    this.#onTriggered = options.onTriggered;
    this.#onCleared = options.onCleared ?? (() => {});
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    this.#timer.unref?.();
  }

  /** Whether the project is over its quota now (channels are closed, REST answers 429). */
  get triggered(): boolean {
    return this.#triggered;
  }

  /** Counts `messages`; false while the quota is exceeded (the caller refuses or drops them). */
  take(messages = 1): boolean {
    if (this.#triggered) return false;
    this.#count += messages;
    this.#total += messages;
    return true;
  }

  /** Every message counted since start (what the quota counts, for benchmarks). */
  get total(): number {
    return this.#total;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    this.#buckets = [this.#count, ...this.#buckets].slice(0, this.#maxBuckets);
    this.#count = 0;
    const average =
      this.#buckets.reduce((sum, count) => sum + count, 0) / this.#buckets.length / (this.#tickMs / 1000);
    if (this.#triggered) {
      if (average < this.limit) {
        this.#triggered = false;
        this.#onCleared();
      }
      return;
    }
    if (average >= this.limit) {
      this.#triggered = true;
      this.#onTriggered();
    }
  }
}

/**
 * Realtime's concurrent-connections quota (`limit_max_users`): a socket counts from its first
 * successful join until it closes; a socket not yet counted may join only while fewer than `max`
 * are. Over it the join is refused with `ConnectionRateLimitReached: Too many connected users`.
 */
export class ConnectedSockets {
  readonly #counted = new Set<object>();

  constructor(readonly max: number) {}

  mayJoin(socket: object): boolean {
    return this.#counted.has(socket) || this.#counted.size < this.max;
  }

  add(socket: object): void {
    this.#counted.add(socket);
  }

  remove(socket: object): void {
    this.#counted.delete(socket);
  }

  get count(): number {
    return this.#counted.size;
  }
}
