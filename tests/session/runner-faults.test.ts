import { describe, expect, test } from "vitest";
import { AgentHttpError } from "../../lib/agent/agent-http-error.ts";
import type { AgentEvent } from "../../lib/agent/index.ts";
import type { MeterStep } from "../../lib/db/run-billing.ts";
import { type SessionEvent, SessionFeed } from "../../lib/session/events.ts";
import type { RunPorts } from "../../lib/session/ports.ts";
import { type RunSessionInput, runSession } from "../../lib/session/run-session.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { MemoryLog } from "../support/memory-log.ts";
import { DONE, ScriptedAgent, scriptedAgentConfig, text } from "../support/scripted-agent.ts";

// Faults of our own side while a session runs, scripted with a fake clock, the in-memory log (the
// log-store contract suite runs it against Postgres) and a scripted agent. The billing port is
// injected: these tests are about what the runner does when it fails, not about billing.

// Dear enough that every text event crosses a credit: each one is a metering step.
const agent = scriptedAgentConfig({ input: 0, output: 1_000_000 });
const LEAD_BYTES = 64;

/** A database call that throws its first `failures` times (a restart, a dropped connection). */
function failingFirst<A extends unknown[], R>(failures: number, call: (...args: A) => Promise<R>) {
  let calls = 0;
  const wrapped = async (...args: A): Promise<R> => {
    calls += 1;
    if (calls <= failures)
      throw Object.assign(new Error("Connection terminated unexpectedly"), { code: "57P01" });
    return call(...args);
  };
  return Object.assign(wrapped, { calls: () => calls });
}

/** Billing with this metering step; the rest does nothing (a live `done` then carries no usage). */
function billingWith(meter: RunPorts["billing"]["meter"]): RunPorts["billing"] {
  return { meter, billAlone: async () => {}, usage: async () => ({ usage: null, costUsd: null }) };
}

function scriptedRun(options: { ports?: Partial<RunPorts>; input?: Partial<RunSessionInput> } = {}) {
  const clock = new FakeClock();
  const log = new MemoryLog();
  const script = new ScriptedAgent();
  const feed = new SessionFeed();
  const events: SessionEvent[] = [];
  feed.subscribe((event) => events.push(event));
  const ports: RunPorts = {
    log: log.store(),
    streamAgent: (_agent, _request, { signal }) => script.stream(signal),
    cancelAgentRun: async () => {},
    finish: async (input) => log.finish(input.epoch, input.status),
    billing: billingWith(async () => ({ verdict: "ok", headroom: 1000 })),
    recordSeamJoiner: async () => {},
    clock,
    observers: [],
    ...options.ports,
  };
  const input: RunSessionInput = {
    ports,
    sessionId: "memory",
    epoch: log.epoch,
    agent,
    request: { messages: [{ role: "user", content: "hi" }] },
    startOffset: 0,
    signal: new AbortController().signal,
    feed,
    checkpoint: { intervalMs: 250, maxBytes: LEAD_BYTES, leaseSeconds: 30 },
    ...options.input,
  };
  return { clock, log, script, events, outcome: runSession(input) };
}

/** The text a live client holds after these events; throws if a delta's offset is not the bytes held. */
function heldText(events: SessionEvent[]): string {
  let held = "";
  for (const event of events) {
    if (event.type !== "delta") continue;
    held += event.text;
    expect(event.offset).toBe(Buffer.byteLength(held));
  }
  return held;
}

describe("a database error mid-run does not fail the session", () => {
  test("the metering query throws twice mid-session: retried, the session completes with every byte", async () => {
    const meter = failingFirst(2, async (_step: MeterStep) => ({ verdict: "ok" as const, headroom: 1000 }));
    const run = scriptedRun({ ports: { billing: billingWith(meter) } });
    run.script.send(text("one ", 1), text("two ", 2));
    await run.clock.advance(1000);
    run.script.send(text("three", 3), DONE);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "completed", offset: 13 });
    expect(run.log.text()).toBe("one two three");
    expect(run.log.finished).toBe("completed");
    expect(heldText(run.events)).toBe("one two three");
    expect(run.events.at(-1)).toMatchObject({ type: "done", status: "completed", offset: 13 });
    // Two failures, then one stored step per text event.
    expect(meter.calls()).toBe(5);
  });
});

describe("a database error mid-run does not fail the session (other steps)", () => {
  test("checkpoint writes carrying only progress and the agent cursor throw twice: retried, the session completes", async () => {
    const log = new MemoryLog();
    const store = failingFirst(2, log.store());
    const run = scriptedRun({ ports: { log: store } });
    run.script.send({
      type: "progress",
      stage: "tool: search",
      cursor: { responseId: "r", sequenceNumber: 1 },
    });
    await run.clock.advance(1000);
    run.script.send(text("found it", 2), DONE);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "completed", offset: 8 });
    expect(log.text()).toBe("found it");
    expect(log.progress).toMatchObject({ stage: "tool: search" });
    expect(store.calls()).toBeGreaterThan(2);
  });

  test("recording a continuation's seam joiner throws twice: retried, the continuation completes joined", async () => {
    const recordSeamJoiner = failingFirst(2, async () => {});
    const run = scriptedRun({
      ports: { recordSeamJoiner },
      input: { continuesAfter: "tick 9" },
    });
    run.script.send(text("tick 0", 1), DONE);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "completed", offset: 7 });
    expect(run.log.text()).toBe(" tick 0");
    expect(recordSeamJoiner.calls()).toBe(3);
  });
});

describe("a live reader is never far ahead of the log", () => {
  test("the log store stalls: the client never holds more than CHECKPOINT_BYTES past the durable log, then gets every byte", async () => {
    const log = new MemoryLog();
    let stalled = false;
    let unstall = () => {};
    const stall = () => (stalled ? new Promise<void>((resolve) => (unstall = resolve)) : Promise.resolve());
    const run = scriptedRun({ ports: { log: log.store({ before: stall }) } });
    // The first word is written at once (the runner's step is in the log); then the store stalls.
    let sent = "first ";
    run.script.send(text(sent, 0));
    await run.clock.advance(10);
    expect(log.durableOffset).toBe(6);
    stalled = true;
    for (let i = 1; i < 40; i++) {
      const piece = `word-${String(i).padStart(2, "0")} `;
      sent += piece;
      run.script.send(text(piece, i));
      await run.clock.advance(50);
      expect(Buffer.byteLength(heldText(run.events))).toBeLessThanOrEqual(log.durableOffset + LEAD_BYTES);
    }
    // Nothing more became durable, so the client got exactly one lead's worth past the first word.
    expect(log.durableOffset).toBe(6);
    expect(Buffer.byteLength(heldText(run.events))).toBeGreaterThan(6 + LEAD_BYTES - 9);
    stalled = false;
    unstall();
    run.script.send(DONE);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "completed", offset: Buffer.byteLength(sent) });
    expect(heldText(run.events)).toBe(sent);
    expect(log.text()).toBe(sent);
    expect(run.events.at(-1)).toMatchObject({ type: "done", offset: Buffer.byteLength(sent) });
  });

  test("slow writes, a pace change from unwatched to watched, a delta larger than the lead and marks: the client stays within CHECKPOINT_BYTES", async () => {
    const log = new MemoryLog();
    const plain = log.store({ before: () => new Promise<void>((resolve) => clock.setTimeout(resolve, 300)) });
    let watched = false;
    // Each write takes 300 ms and says who watches: nobody at first, then a tab (the pace shortens).
    const store: RunPorts["log"] = async (write) => {
      const outcome = await plain(write);
      const result = typeof outcome === "string" ? outcome : outcome.outcome;
      return { outcome: result, watchers: { sessionMs: watched ? 60_000 : 0, listMs: 0 } };
    };
    const run = scriptedRun({
      ports: { log: store },
      input: {
        checkpoint: { intervalMs: 100, idleIntervalMs: 1000, maxBytes: LEAD_BYTES, leaseSeconds: 30 },
      },
    });
    const { clock } = run;
    const within = () =>
      expect(Buffer.byteLength(heldText(run.events))).toBeLessThanOrEqual(log.durableOffset + LEAD_BYTES);
    let sent = "";
    let mostAhead = 0;
    for (let i = 0; i < 120; i++) {
      if (i === 60) watched = true;
      // One event is larger than the whole lead; progress events are marks among the deltas.
      const piece = i === 45 ? `${"L".repeat(LEAD_BYTES + 36)} ` : `word-${String(i).padStart(3, "0")} `;
      sent += piece;
      run.script.send(text(piece, i));
      if (i % 7 === 0) run.script.send({ type: "progress", stage: `step ${i}` });
      await clock.advance(20);
      within();
      mostAhead = Math.max(mostAhead, Buffer.byteLength(heldText(run.events)) - log.durableOffset);
    }
    // Writes (300 ms) fall behind the output (450 bytes/s): the client did run a full lead ahead.
    expect(mostAhead).toBeGreaterThan(LEAD_BYTES - 10);
    run.script.send(DONE);
    run.script.end();
    expect(await clock.run(run.outcome)).toEqual({ kind: "completed", offset: Buffer.byteLength(sent) });
    within();
    expect(heldText(run.events)).toBe(sent);
    // Held deltas went out joined, and marks went out among them.
    expect(run.events.some((event) => event.type === "delta" && (event.ends?.length ?? 0) > 1)).toBe(true);
    expect(run.events.some((event) => event.type === "mark")).toBe(true);
  });

  test("once its checkpointer is fenced, the runner sends its client nothing more; every cursor counts the bytes held", async () => {
    const run = scriptedRun();
    run.script.send(text("mine ", 1));
    await run.clock.advance(300);
    expect(run.log.text()).toBe("mine ");
    run.log.takeOver();
    // Within the lead: the client gets it before the write that finds the session taken.
    run.script.send(text("lost ", 2));
    await run.clock.advance(300);
    const beforeFence = run.events.length;
    run.script.send({ type: "progress", stage: "tool: late" }, text("never sent", 3));
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "fenced", offset: 5 });
    expect(run.events.slice(beforeFence)).toEqual([]);
    expect(heldText(run.events)).toBe("mine lost ");
    expect(run.log.text()).toBe("mine ");
  });
});

describe("a run stops when its cost reaches the balance", () => {
  test("a run that starts with half a credit left stops at it: nothing past the verdict's event is billed or streamed", async () => {
    // One credit = US$0.01; each 4-byte event is one token at US$0.001: a tenth of a credit.
    const tenthOfACredit = { agent: scriptedAgentConfig({ input: 0, output: 1000 }) };
    const balance = 0.5;
    const steps: number[] = [];
    let clock: FakeClock | undefined;
    // A slow metering step (the database under load): the agent meanwhile sends everything it has.
    const meter = async (step: MeterStep) => {
      await new Promise<void>((resolve) => clock!.setTimeout(resolve, 200));
      steps.push(step.credits);
      const verdict = step.credits >= balance ? ("out_of_credits" as const) : ("ok" as const);
      return { verdict, headroom: balance - step.credits };
    };
    const bills: unknown[] = [];
    const log = new MemoryLog();
    const run = scriptedRun({
      ports: {
        log: log.store(),
        billing: billingWith(meter),
        finish: async (input) => {
          bills.push(input.run);
          return log.finish(input.epoch, input.status);
        },
      },
      input: { ...tenthOfACredit, epoch: log.epoch },
    });
    clock = run.clock;
    const pieces = Array.from({ length: 15 }, (_, i) => `t${String(i).padStart(2, "0")} `);
    run.script.send(...pieces.map((piece, i) => text(piece, i)));
    const outcome = await run.clock.run(run.outcome);
    // The verdict came at the fifth event (0.5 credits): the run holds exactly those five.
    const kept = pieces.slice(0, 5).join("");
    expect(outcome).toEqual({ kind: "failed", offset: Buffer.byteLength(kept) });
    expect(steps).toEqual([0.1, 0.5]);
    expect(log.text()).toBe(kept);
    expect(heldText(run.events)).toBe(kept);
    expect(run.events.at(-1)).toMatchObject({ type: "error", code: "payment_required:credits" });
    expect(bills).toEqual([
      { run: 1, usage: { inputTokens: 1, outputTokens: 5, estimated: true }, costUsd: expect.any(Number) },
    ]);
    expect((bills[0] as { costUsd: number }).costUsd * 100).toBeCloseTo(balance, 6);
  });
});

describe("a taken-over producer stops at its metering step", () => {
  test("the step finds the epoch moved on: the runner reads nothing more, and bills only what it read", async () => {
    const log = new MemoryLog();
    let steps = 0;
    const meter = async (_step: MeterStep) => {
      steps += 1;
      if (steps === 1) return { verdict: "ok" as const, headroom: 1000 };
      // Another producer claimed the session: `meterRun` stores nothing and knows no headroom.
      log.takeOver();
      return { verdict: "ok" as const, headroom: null };
    };
    const billed: unknown[] = [];
    const billing = { ...billingWith(meter), billAlone: async (bill: unknown) => void billed.push(bill) };
    const run = scriptedRun({ ports: { log: log.store(), billing }, input: { epoch: log.epoch } });
    run.script.send(...Array.from({ length: 10 }, (_, i) => text(`w${i}`, i)));
    expect(await run.clock.run(run.outcome)).toMatchObject({ kind: "fenced" });
    expect(steps).toBe(2);
    // Nothing past the event of the step that found it taken over is written or sent.
    expect("w0w1w2".startsWith(log.text())).toBe(true);
    expect("w0w1w2".startsWith(heldText(run.events))).toBe(true);
    // Its own bill (the claimer's, from its last step, has the same key): the 6 bytes it read.
    expect(billed).toMatchObject([{ run: 1, usage: { outputTokens: 2, estimated: true } }]);
  });
});

describe("an agent request that fails before the agent sent anything", () => {
  const network = () => new AgentHttpError("fetch failed", { status: 0, code: "network", retryable: true });

  /** An agent whose first request fails after `before` (events it sends first), then answers from the script. */
  function failingOnce(before: AgentEvent[], error: () => Error = network) {
    let calls = 0;
    let run: ReturnType<typeof scriptedRun> | undefined;
    const streamAgent: RunPorts["streamAgent"] = (_agent, _request, { signal }) => {
      calls += 1;
      if (calls > 1) return run!.script.stream(signal);
      return (async function* () {
        yield* before;
        throw error();
      })();
    };
    run = scriptedRun({ ports: { streamAgent } });
    return { run, calls: () => calls };
  }

  test("a connection-bound request that failed at connect is sent again: the session completes", async () => {
    const { run, calls } = failingOnce([]);
    run.script.send(text("hello", 1), DONE);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "completed", offset: 5 });
    expect(calls()).toBe(2);
    expect(run.log.text()).toBe("hello");
  });

  test("an HTTP error before the stream is the agent's answer: not sent again, the session fails", async () => {
    const { run, calls } = failingOnce(
      [],
      () => new AgentHttpError("overloaded", { status: 503, code: "unavailable", retryable: true }),
    );
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "failed", offset: 0 });
    expect(calls()).toBe(1);
  });

  test("once the agent sent text, a connection-bound run is not sent again: it fails, its output kept", async () => {
    const { run, calls } = failingOnce([text("half", 1)]);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "failed", offset: 4 });
    expect(calls()).toBe(1);
    expect(run.log.text()).toBe("half");
  });
});
