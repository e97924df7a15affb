/**
 * Realtime's events-per-second limit: a count per one-second window. `take` answers whether `events`
 * more fit in the current second (and counts them when they do).
 */
export class EventsPerSecond {
  #windowStart = Number.NEGATIVE_INFINITY;
  #count = 0;

  constructor(
    readonly limit: number,
    private readonly now: () => number,
  ) {}

  take(events = 1): boolean {
    const now = this.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#count = 0;
    }
    if (this.#count + events > this.limit) return false;
    this.#count += events;
    return true;
  }
}
