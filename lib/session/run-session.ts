import type { RawAgentFailure } from "../agent/agent-failure.ts";
import { type AgentCursor, type AgentEvent, isDetachable } from "../agent/index.ts";
import { logError } from "../log.ts";
import { notifyObservers } from "../observers.ts";
import { readAgentEvent } from "./agent-read.ts";
import { Checkpointer } from "./checkpointer.ts";
import { sleep } from "./clock.ts";
import { retryingStreamPorts } from "./database-retry.ts";
import { LIVE_LEAD_EVENTS, LiveLead } from "./live-lead.ts";
import { type MeterStop, startRunMetering } from "./metering.ts";
import type { FinishSessionInput, LogMarkKind, ObservedProgress } from "./ports.ts";
import { blameAgent, outOfCredits } from "./run-failure.ts";
import type { RunOutcome, RunSessionInput } from "./run-input.ts";
import { armRunStops } from "./run-stops.ts";
import { continuationSeam } from "./seam-joiner.ts";

export type { RunOutcome, RunSessionInput } from "./run-input.ts";

type Terminal = { kind: "completed" } | ({ kind: "failed" } & RawAgentFailure);
type StopReason = "cancel" | "budget" | "fenced" | MeterStop;

const MAX_REATTACH = 5;
/** Progress is recorded in the log (a `data-progress` chunk) at most this often. */
const PROGRESS_MARK_MS = 1000;
const unknownError = { code: "unknown", message: "The session stopped for an unknown reason." };

/**
 * Runs one producer of a session: streams the agent, checkpoints the output, fans it out to live
 * subscribers and observers, and ends the session. The same code runs in the route handler, the
 * local worker and the Trigger.dev task; all I/O arrives as `ports`. Only the holder of `epoch` can
 * write; a stale runner stops at its next write.
 */
export async function runSession(input: RunSessionInput): Promise<RunOutcome> {
  const run = new SessionRun(input);
  const release = run.watch();
  try {
    await run.consume();
  } finally {
    release();
  }
  return run.settle();
}

/** The state of one `runSession` call. */
class SessionRun {
  readonly stop = new AbortController();
  readonly checkpointer: Checkpointer;
  readonly live: LiveLead;
  readonly startedAt: number;
  cursor: AgentCursor | undefined;
  /** Whether the agent sent this run anything yet (an event, not just response headers). */
  received = false;
  stage: string | null = null;
  lastProgressMarkAt = Number.NEGATIVE_INFINITY;
  /** Set by `settle`: a mark made after the last flush would reach the live client but never the log. */
  sealed = false;
  terminal: Terminal | undefined;
  readonly seam: ReturnType<typeof continuationSeam>;
  readonly metering: ReturnType<typeof startRunMetering>;

  constructor(readonly input: RunSessionInput) {
    const { ports, sessionId, checkpoint } = input;
    this.startedAt = input.startedAt ?? ports.clock.now();
    this.cursor = input.cursor;
    this.live = new LiveLead(input.feed, input.startOffset, checkpoint.maxBytes, LIVE_LEAD_EVENTS);
    this.checkpointer = new Checkpointer({
      store: ports.log,
      sessionId,
      epoch: input.epoch,
      startOffset: input.startOffset,
      ...checkpoint,
      // Per-delta cuts only for a live client's epoch: it is the one reader that got chunks per delta.
      recordDeltaEnds: input.feed !== undefined,
      clock: ports.clock,
      onRetry: (error, attempt) =>
        logError("checkpoint write failed; retrying", { sessionId, attempt, error }),
      ...(input.feed ? { live: { maxEvents: LIVE_LEAD_EVENTS } } : {}),
      onLanded: (write) => this.live.landed(write),
      onDurable: (append) => {
        const watch = this.checkpointer.watch;
        notifyObservers(ports.observers, sessionId, (o) =>
          o.appended({ sessionId, ...append, epoch: input.epoch, ...(watch ? { watch } : {}) }),
        );
      },
      onFenced: () => this.fenced(),
    });
    // Database steps while streaming are retried, never taken for the agent's failure.
    const retried = retryingStreamPorts(ports, { sessionId, epoch: input.epoch, signal: this.stop.signal });
    this.seam = continuationSeam({
      ...input,
      ports: retried,
      precedingText: input.continuesAfter,
      seamOffset: input.startOffset,
    });
    this.metering = startRunMetering({
      ...input,
      ports: retried,
      reattached: input.cursor !== undefined,
      stop: (reason) => (reason === "fenced" ? this.fenced() : this.stopWith(reason)),
      onStep: () => this.reportProgress(undefined),
    });
    this.mark("runner", { runner: input.runner ?? (input.feed ? "live" : null) });
  }

  /** Records a tool call, the runner or progress in the log and sends it to the live client in its place. */
  mark(kind: LogMarkKind, data: Record<string, unknown>): void {
    if (this.sealed) return;
    this.live.mark(this.checkpointer.mark(kind, data));
  }

  stopWith(reason: StopReason): void {
    if (!this.stop.signal.aborted) this.stop.abort(reason);
  }

  /** A fenced runner (a write or a metering step found the session taken) sends its client nothing more. */
  fenced(): void {
    this.live.fence();
    this.stopWith("fenced");
  }

  /** Arms cancel, yield, budget and heartbeat; returns what disarms them. */
  watch(): () => void {
    return armRunStops(this.input, this.checkpointer, (reason) => this.stopWith(reason));
  }

  /** Streams the agent until it ends or we stop; a detachable run is re-attached after a drop. */
  async consume(): Promise<void> {
    const { input } = this;
    for (let attempt = 0; this.terminal === undefined && !this.stop.signal.aborted; attempt++) {
      const retryable = await this.consumeOnce();
      // consumeOnce sets it; TypeScript keeps the loop condition's narrowing.
      const terminal = this.terminal as Terminal | undefined;
      // A detachable run outlives our connection: re-attach at the cursor instead of failing. A
      // request that got no answer at all (a reset connect, a keep-alive socket the agent had just
      // closed) is sent again as it was: nothing of it reached anyone. An HTTP error is the agent's word.
      const unanswered = terminal?.kind === "failed" && !this.received && !terminal.status;
      const again = (isDetachable(input.agent) && this.cursor !== undefined) || unanswered;
      if (terminal?.kind === "failed" && retryable && again && attempt < MAX_REATTACH) {
        this.terminal = undefined;
        await sleep(input.ports.clock, 200 * 2 ** attempt, this.stop.signal);
      } else if (terminal === undefined && !this.stop.signal.aborted) {
        this.terminal = {
          kind: "failed",
          code: "stream_truncated",
          message: "The agent stream ended without a result.",
        };
      }
    }
  }

  /** One connection to the agent; returns whether a failure may be retried by re-attaching. */
  async consumeOnce(): Promise<boolean> {
    const { ports, agent, request } = this.input;
    const options = { signal: this.stop.signal, cursor: this.cursor };
    const events = ports.streamAgent(agent, request, options)[Symbol.asyncIterator]();
    let retryable = false;
    try {
      // Only what the agent's stream throws is the agent's failure (`readAgentEvent`); our own steps
      // below retry their database errors, and anything else they throw fails the run on our side.
      for (;;) {
        const read = await readAgentEvent(events, this.stop.signal);
        if (!("event" in read)) {
          if (!read.failure) return retryable && !this.stop.signal.aborted;
          const { retryable: again, ...failure } = read.failure;
          this.terminal = { kind: "failed", ...failure };
          return again;
        }
        const { event } = read;
        this.received = true;
        // Most tokens need no metering step and no wait: no promise is made for them.
        const step = this.metering.observe(event);
        if (step) await step;
        if (event.type === "error") {
          retryable = event.retryable;
          this.terminal = { kind: "failed", code: event.code, message: event.message };
        } else {
          const waiting = this.onEvent(event);
          if (waiting) await waiting;
        }
        if (this.stop.signal.aborted) return false;
      }
    } finally {
      await events.return?.();
    }
  }

  /** Handles one agent event; a promise only when the runner must wait before reading on. */
  onEvent(event: Exclude<AgentEvent, { type: "error" }>): Promise<void> | undefined {
    if (event.cursor) this.cursor = event.cursor;
    if (event.type === "text") return this.pushText(this.seam.join(event.text), event);
    if (event.type === "progress") {
      // Each stage the agent names is one tool call (a step of the AI SDK message).
      this.stage = event.stage;
      this.mark("tool", { name: event.stage });
      this.reportProgress(event.cursor);
    } else if (event.type === "usage") {
      // The agent's own count replaces the estimate as soon as it gives one.
      this.reportProgress(event.cursor);
    } else if (event.type === "done") {
      this.terminal = { kind: "completed" };
    }
    return undefined;
  }

  /** Writes an agent text (joined at a seam) and hands it to the live client; waits while over the memory bound. */
  pushText(text: string | Promise<string>, event: { cursor?: AgentCursor }): Promise<void> | undefined {
    if (typeof text !== "string") return text.then((joined) => this.pushText(joined, event));
    // A fenced checkpointer ignores pushes: its text must reach no one (a cursor counts held bytes).
    if (this.checkpointer.fenced) {
      this.stopWith("fenced");
      return undefined;
    }
    this.checkpointer.push(text, { cursor: event.cursor });
    this.live.push(text, this.checkpointer.offset);
    return this.checkpointer.overLimit ? this.checkpointer.drained() : undefined;
  }

  /** Progress with the agent's output tokens when it reported usage, else an estimate (one per text event). */
  reportProgress(agentCursor: AgentCursor | undefined): void {
    const { ports, sessionId, feed } = this.input;
    if (this.checkpointer.fenced) return;
    // The agent's own count once it reported usage, else the metering estimate (from the bytes).
    const { outputTokens, estimated } = this.metering.usage();
    const progress: ObservedProgress = {
      stage: this.stage,
      outputTokens,
      elapsedMs: ports.clock.now() - this.startedAt,
      estimated,
      credits: this.metering.credits,
    };
    this.checkpointer.push("", { cursor: agentCursor, progress });
    const now = ports.clock.now();
    if (now - this.lastProgressMarkAt >= PROGRESS_MARK_MS) {
      this.lastProgressMarkAt = now;
      this.mark("progress", { ...progress });
    }
    feed?.emit({ type: "progress", ...progress });
    // Until the first write answers, nobody is known to watch: Realtime waits for it (a few ms).
    const watch = this.checkpointer.watch ?? { session: false, list: false };
    notifyObservers(ports.observers, sessionId, (o) => o.progress(sessionId, progress, watch));
  }

  /** Flushes, then ends the session as the stream and the stop reason say. */
  async settle(): Promise<RunOutcome> {
    const reason = this.stop.signal.aborted ? (this.stop.signal.reason as StopReason) : undefined;
    // A live producer that ends on its own says so in its last write: its client then held nothing
    // the log lacks, so an AI SDK replay needs no `reset-step` at its seam (`lib/ui-stream/sequence.ts`).
    if (this.input.feed && reason !== "fenced") this.mark("runner", { runner: "live", clean: true });
    this.sealed = true;
    const flushed = await this.checkpointer.flush();
    this.checkpointer.close();
    const offset = this.checkpointer.durableOffset;
    const { metering } = this;
    if (flushed === "fenced" || reason === "fenced" || reason === "budget") {
      await metering.billUnfinished();
      return reason === "budget" && flushed !== "fenced"
        ? { kind: "budget", offset, cursor: this.cursor }
        : { kind: "fenced", offset };
    }
    if (reason === "cancel") {
      await this.cancelAgentRun();
      return this.finish("cancelled", offset, metering.bill("cancelled"), null);
    }
    if (reason === "out_of_credits" || reason === "over_cap") {
      await this.cancelAgentRun();
      return this.finish("failed", offset, metering.bill("failed"), outOfCredits[reason]);
    }
    if (this.terminal?.kind === "completed")
      return this.finish("completed", offset, metering.bill("completed"), null);
    const error = this.terminal?.kind === "failed" ? blameAgent(this.input, this.terminal) : unknownError;
    return this.finish("failed", offset, metering.bill("failed"), error);
  }

  async cancelAgentRun(): Promise<void> {
    const { ports, agent, sessionId } = this.input;
    await ports
      .cancelAgentRun(agent, this.cursor)
      .catch((error) => logError("agent run cancel failed", { sessionId, error }));
  }

  async finish(
    status: "completed" | "failed" | "cancelled",
    offset: number,
    run: FinishSessionInput["run"],
    error: { code: string; message: string } | null,
  ): Promise<RunOutcome> {
    const { ports, sessionId, epoch, feed } = this.input;
    const result = await ports.finish({ sessionId, epoch, status, run, error });
    // The lifecycle's `finish` told the observers once it committed.
    if (result === "fenced") return { kind: "fenced", offset };
    if (status === "failed" && error) feed?.emit({ type: "error", ...error, offset });
    else if (status === "cancelled")
      feed?.emit({ type: "error", code: "cancelled", message: "The session was cancelled.", offset });
    else if (feed) feed.emit({ type: "done", status, offset, ...(await ports.billing.usage(sessionId)) });
    return { kind: status, offset };
  }
}
