import {
  type AgentConfig,
  type AgentEvent,
  type AgentRequest,
  costUsd,
  estimateRequestTokens,
  estimateTokens,
  isDetachable,
  type ModelPrice,
  type RunUsage,
} from "../agent/index.ts";
import { MICROCREDITS_PER_CREDIT, microCreditsFor } from "../credits.ts";
import type { FinishSessionInput, MeterReading, MeterVerdict, RunBilling } from "./ports.ts";

/**
 * What a metering step stores: the credits this run holds, exact (and its bill so far); it answers
 * whether the run must stop and how many credits it may still use.
 */
export type MeterStore = (
  credits: number,
  bill: { usage: RunUsage; costUsd: number },
) => Promise<MeterReading>;

export interface RunMeterOptions {
  price: ModelPrice;
  /** The request the run was sent: its estimated size is the run's input when the agent reports none. */
  request: AgentRequest;
  /** Output bytes the same agent run produced before this producer took it over (a re-attached run). */
  priorOutputBytes: number;
  store: MeterStore;
}

/**
 * Meters one agent run while it streams: from the agent's usage events when it sends them, from the
 * output bytes otherwise (see `BYTES_PER_TOKEN`). The run's first event that costs anything is a metering step
 * (until one answers, the run does not know how much it may use: a run that starts with less than a
 * credit left, a continuation or a re-run after a takeover, must not spend a whole credit unchecked);
 * after it, every time the running cost crosses a whole credit or the headroom the last step
 * reported, the exact total is stored and checked against the balance and the session's cap. The
 * caller awaits that step before reading on, so a run stops at the first event that reaches its
 * limit, past it by at most that event's cost.
 */
export class RunMeter {
  readonly #options: RunMeterOptions;
  readonly #inputEstimate: number;
  #outputBytes: number;
  #reported: { inputTokens: number; outputTokens: number } | null = null;
  /** Exact amounts in whole micro-credits (integers: sums stay exact). */
  #storedMicro = 0;
  /** The first step is at the first event that costs anything (a free run never steps), the next ones at `nextStepAt`. */
  #nextStepMicro = 1;

  constructor(options: RunMeterOptions) {
    this.#options = options;
    this.#inputEstimate = estimateRequestTokens(options.request);
    this.#outputBytes = options.priorOutputBytes;
  }

  /**
   * Counts an event; at a metering step, stores it and resolves to the verdict, or "stale" when the
   * step found the session's epoch moved on (this producer was taken over). Between steps (nearly
   * every token) it answers "ok" at once, without a promise.
   */
  observe(event: AgentEvent): "ok" | Promise<MeterVerdict | "stale"> {
    if (event.type === "text") this.#outputBytes += Buffer.byteLength(event.text, "utf8");
    else if (event.type === "usage")
      this.#reported = { inputTokens: event.inputTokens, outputTokens: event.outputTokens };
    else return "ok";
    const micro = microCreditsFor(this.#runningCost());
    if (micro < this.#nextStepMicro) return "ok";
    return this.#step(micro);
  }

  async #step(micro: number): Promise<MeterVerdict | "stale"> {
    this.#storedMicro = micro;
    const usage = { ...this.usage(), estimated: true };
    const reading = await this.#options.store(micro / MICROCREDITS_PER_CREDIT, {
      usage,
      costUsd: costUsd(this.#options.price, usage),
    });
    this.#nextStepMicro = nextStepAt(micro, reading.headroom);
    // No headroom: nothing was stored, the session is another producer's (see `meterRun`).
    return reading.headroom === null && reading.verdict === "ok" ? "stale" : reading.verdict;
  }

  /** Whether this producer read any output or usage of the run (else the agent did no work for it). */
  get producedOutput(): boolean {
    return this.#outputBytes > this.#options.priorOutputBytes || this.#reported !== null;
  }

  /** Credits the run has used so far, as last stored (exact, a decimal). */
  get credits(): number {
    return this.#storedMicro / MICROCREDITS_PER_CREDIT;
  }

  /** The run's usage for its bill: the agent's own when it reported any, else the estimate. */
  usage(): RunUsage {
    const reported = this.#reported;
    if (reported && reported.inputTokens + reported.outputTokens > 0)
      return { ...reported, estimated: false };
    return {
      inputTokens: this.#inputEstimate,
      outputTokens: estimateTokens(this.#outputBytes),
      estimated: true,
    };
  }

  /** The run's bill: its usage at the agent's price. */
  bill(): { usage: RunUsage; costUsd: number } {
    const usage = this.usage();
    return { usage, costUsd: costUsd(this.#options.price, usage) };
  }

  /** While running, the larger of what the agent reported and what the bytes say. */
  #runningCost(): number {
    const reported = this.#reported;
    return costUsd(this.#options.price, {
      inputTokens: reported?.inputTokens || this.#inputEstimate,
      outputTokens: Math.max(reported?.outputTokens ?? 0, estimateTokens(this.#outputBytes)),
    });
  }
}

/** The next metering step: the next whole credit, or sooner where the reported headroom runs out. */
function nextStepAt(micro: number, headroom: number | null): number {
  const nextWhole = (Math.floor(micro / MICROCREDITS_PER_CREDIT) + 1) * MICROCREDITS_PER_CREDIT;
  if (headroom === null) return nextWhole;
  const limit = micro + Math.max(1, Math.round(headroom * MICROCREDITS_PER_CREDIT));
  return Math.min(nextWhole, limit);
}

export type MeterStop = "out_of_credits" | "over_cap";

/**
 * The metering of one producer's run, as the runner sees it: `observe` every agent event (a stop
 * verdict calls `stop`), then either `bill` the run with the session's end, or `billUnfinished` when
 * the run ends without ending the session (a handoff or a fence). A detachable agent's run outlives
 * this producer, so only its final producer bills it, from the agent's usage for the whole run.
 */
export function startRunMetering(options: {
  ports: { billing: Pick<RunBilling, "meter" | "billAlone"> };
  sessionId: string;
  epoch: number;
  agent: AgentConfig;
  request: AgentRequest;
  startOffset: number;
  /** Set when re-attaching to a detachable run that earlier producers already streamed. */
  reattached: boolean;
  /** A stop verdict, or "fenced" when a step found the session taken over: the run stops reading at once. */
  stop: (reason: MeterStop | "fenced") => void;
  /** Called after each metering step with the run's credits so far. */
  onStep?: (credits: number) => void;
}) {
  const { sessionId, epoch, ports } = options;
  const priorOutputBytes = options.reattached ? options.startOffset : 0;
  const meter = new RunMeter({
    price: options.agent.price,
    request: options.request,
    priorOutputBytes,
    store: async (credits, bill) => {
      const verdict = await ports.billing.meter({ sessionId, epoch, credits, bill });
      options.onStep?.(credits);
      return verdict;
    },
  });
  const detachable = isDetachable(options.agent);
  // The agent run is this producer's: the session's epoch names it, and a producer sends one request.
  const run = 1;
  return {
    get credits() {
      return meter.credits;
    },
    /** The run's token counts so far: the agent's own when it reported any, else estimated. */
    usage: () => meter.usage(),
    /** Counts an event; a promise only when it is a metering step (the caller awaits it before reading on). */
    observe(event: AgentEvent): Promise<void> | undefined {
      const verdict = meter.observe(event);
      if (verdict === "ok") return undefined;
      return verdict.then((answer) => {
        if (answer === "stale") options.stop("fenced");
        else if (answer !== "ok") options.stop(answer);
      });
    },
    /** The bill `finishSession` writes, or null when the agent refused the run before producing anything. */
    bill(status: "completed" | "failed" | "cancelled"): FinishSessionInput["run"] {
      const bill = meter.bill();
      if (status === "failed" && bill.usage.estimated && !meter.producedOutput) return null;
      return { run, ...bill };
    },
    /**
     * A connection-bound run cut here is over (the agent aborts it with our connection), and a
     * re-run or continuation is a new run: this one is billed now, its input by estimate even when
     * it was cut before its first token ("every run debited once").
     */
    async billUnfinished(): Promise<void> {
      if (detachable) return;
      await ports.billing.billAlone({ sessionId, epoch, run, ...meter.bill() });
    },
  };
}
