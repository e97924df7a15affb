/** A sender's place in line: which line it waits in (false: none), and its places taken so far. */
export interface InLine {
  queued: false | "first" | "then";
  places: number;
}

/**
 * The broadcasts one process has in flight, at most `max` (hosted Realtime is a remote service: a
 * slow answer must not pile up requests). Work that finds no room waits in line and runs as soon as
 * a send ends, in order, a session's pending `log` before anything else: a watcher's bytes never
 * queue behind a burst of other sessions' status changes (1,000 claims at once), and nothing polls
 * while it waits.
 */
export class SendGate {
  readonly #max: number;
  #inFlight = 0;
  readonly #first: (() => void)[] = [];
  readonly #then: (() => void)[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  get full(): boolean {
    return this.#inFlight >= this.#max;
  }

  /** Runs `work` now if there is room, else once a send ends (`first` work before the rest). */
  whenRoom(work: () => void, first = false): void {
    if (this.full) (first ? this.#first : this.#then).push(work);
    else work();
  }

  /**
   * Puts a sender (a session's slot) in line once, `first` or not; one in line for the rest that has
   * `first` work meanwhile moves up (its earlier place is then skipped). `work` runs at its turn.
   */
  line(sender: InLine, first: boolean, work: () => void): void {
    if (sender.queued && (sender.queued === "first" || !first)) return;
    sender.queued = first ? "first" : "then";
    const place = ++sender.places;
    this.whenRoom(() => {
      if (place !== sender.places) return;
      sender.queued = false;
      work();
    }, first);
  }

  /** A send starts. */
  begin(): void {
    this.#inFlight += 1;
  }

  /** A send ended: waiting work runs while there is room. */
  end(): void {
    this.#inFlight -= 1;
    while (!this.full) {
      const next = this.#first.shift() ?? this.#then.shift();
      if (!next) return;
      next();
    }
  }
}
