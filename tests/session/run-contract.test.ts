import { describe, expect, test } from "vitest";
import { finishSession } from "../../lib/db/session-finish.ts";
import { fenceOutRunner } from "../../lib/db/session-lease.ts";
import { appendCheckpoint } from "../../lib/db/session-log.ts";
import type { CheckpointStore } from "../../lib/session/checkpointer.ts";
import { sleep } from "../../lib/session/clock.ts";
import type { SessionObserver } from "../../lib/session/ports.ts";
import { type RunSessionInput, runSession } from "../../lib/session/run-session.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { MemoryLog } from "../support/memory-log.ts";
import { storePorts } from "../support/runtime.ts";
import { DONE, ScriptedAgent, scriptedAgentConfig, text } from "../support/scripted-agent.ts";
import { sessionFixture, startTestSession } from "../support/session-fixture.ts";

const { sql } = await sessionFixture();

/** One session log behind the contract both implementations keep. */
interface LogUnderTest {
  store: CheckpointStore;
  epoch: number;
  sessionId: string;
  takeOver(): Promise<void>;
  finish(): Promise<void>;
}

const logs: Record<string, () => Promise<LogUnderTest>> = {
  memory: async () => {
    const log = new MemoryLog();
    return {
      store: log.store(),
      epoch: log.epoch,
      sessionId: "memory",
      takeOver: async () => void log.takeOver(),
      finish: async () => void log.finish(log.epoch, "completed"),
    };
  },
  postgres: async () => {
    const started = await startTestSession(sql, { title: "contract" });
    const { sessionId, epoch } = started;
    return {
      store: (write) => appendCheckpoint(sql, write),
      epoch,
      sessionId,
      takeOver: async () => void (await fenceOutRunner(sql, sessionId)),
      finish: async () =>
        void (await finishSession(sql, {
          sessionId,
          epoch,
          status: "completed",
          run: null,
          error: null,
        })),
    };
  },
};

describe.each(Object.keys(logs))("the %s log keeps the log-store contract", (kind) => {
  const write = (log: LogUnderTest, startOffset: number, text: string) =>
    log.store({ sessionId: log.sessionId, epoch: log.epoch, startOffset, text, leaseSeconds: 30 });

  test("contiguous appends are ok; an exact retry of a landed write is duplicate", async () => {
    const log = await logs[kind]!();
    expect(await write(log, 0, "héllo ")).toBe("ok");
    expect(await write(log, 7, "world")).toBe("ok");
    expect(await write(log, 7, "world")).toBe("duplicate");
  });

  test("a retry that carries more than the landed write, or a gap, is fenced (never spliced)", async () => {
    const log = await logs[kind]!();
    expect(await write(log, 0, "abc")).toBe("ok");
    expect(await write(log, 0, "abcdef")).toBe("fenced");
    expect(await write(log, 5, "x")).toBe("fenced");
  });

  test("after another producer took the session, or it ended, every write is fenced", async () => {
    const taken = await logs[kind]!();
    expect(await write(taken, 0, "a")).toBe("ok");
    await taken.takeOver();
    expect(await write(taken, 1, "b")).toBe("fenced");
    expect(await write(taken, 1, "")).toBe("fenced");
    const ended = await logs[kind]!();
    expect(await write(ended, 0, "a")).toBe("ok");
    await ended.finish();
    expect(await write(ended, 1, "")).toBe("fenced");
  });
});

// Free, so metering never stops to store a step: the scripted interleavings stay exact.
const agent = scriptedAgentConfig({ input: 0, output: 0 });

/** A real session row: billing (metering, the final totals) still reads and writes Postgres. */
async function billedSession(): Promise<string> {
  return (await startTestSession(sql, { title: "scripted" })).sessionId;
}

async function scriptedRun(options: { writeMs?: number; budgetMs?: number } = {}) {
  const clock = new FakeClock();
  const log = new MemoryLog();
  const script = new ScriptedAgent();
  const cancel = new AbortController();
  const seen = { appends: [] as string[], statuses: [] as string[], cancelled: 0, finished: [] as string[] };
  const observer: SessionObserver = {
    appended: (append) => void seen.appends.push(append.text),
    progress: () => {},
    // Told after the status change committed: what the log holds then is what a reader re-reads.
    statusChanged: () => void seen.statuses.push(log.finished ?? "running"),
  };
  // Metering and billing stay on Postgres (the session is a billed one); the rest is in memory.
  const ports = storePorts(sql, {
    log: log.store({ before: () => sleep(clock, options.writeMs ?? 0) }),
    streamAgent: (_agent, _request, { signal }) => script.stream(signal),
    cancelAgentRun: async () => void seen.cancelled++,
    // The lifecycle's finish: it announces the change once it has committed.
    finish: async (input) => {
      seen.finished.push(input.status);
      const finished = log.finish(input.epoch, input.status);
      if (finished === "ok") observer.statusChanged(input.sessionId);
      return finished;
    },
    clock,
    observers: [observer],
  });
  const sessionId = await billedSession();
  // The runner starts on a session the lifecycle just gave it (start, claim), which announced it.
  observer.statusChanged(sessionId);
  const input: RunSessionInput = {
    ports,
    sessionId,
    epoch: log.epoch,
    agent,
    request: { messages: [{ role: "user", content: "hi" }] },
    startOffset: 0,
    signal: cancel.signal,
    budgetMs: options.budgetMs,
    checkpoint: { intervalMs: 250, maxBytes: 64, leaseSeconds: 30 },
  };
  return { clock, log, script, cancel, seen, outcome: runSession(input) };
}

describe("runSession with a fake clock, the in-memory log and a scripted agent", () => {
  test("completes: every byte in the log, observers told of each append and of the end", async () => {
    const run = await scriptedRun();
    run.script.send(text("one ", 1));
    await run.clock.advance(300);
    run.script.send(text("two ", 2), { type: "usage", inputTokens: 3, outputTokens: 2 }, DONE);
    run.script.end();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "completed", offset: 8 });
    expect(run.log.text()).toBe("one two ");
    expect(run.seen.appends).toEqual(["one ", "two "]);
    expect(run.seen.statuses).toEqual(["running", "completed"]);
  });

  test("handoff race: another producer takes the session mid-stream; the runner is fenced and writes nothing more", async () => {
    const run = await scriptedRun();
    run.script.send(text("mine ", 1));
    await run.clock.advance(300);
    expect(run.log.text()).toBe("mine ");
    run.log.takeOver();
    run.script.send(text("too late", 2));
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "fenced", offset: 5 });
    expect(run.log.text()).toBe("mine ");
    expect(run.seen.finished).toEqual([]);
  });

  test("cancel race: cancelled while a slow write is in flight; the write lands, then the session ends cancelled", async () => {
    const run = await scriptedRun({ writeMs: 1000 });
    run.script.send(text("partial ", 1));
    await run.clock.advance(100);
    run.script.send(text("output", 2));
    await run.clock.advance(0);
    run.cancel.abort();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "cancelled", offset: 14 });
    expect(run.log.text()).toBe("partial output");
    expect(run.seen.cancelled).toBe(1);
    expect(run.log.finished).toBe("cancelled");
  });

  test("fence race: the session is taken while the final flush is in flight; the runner does not finish it", async () => {
    const run = await scriptedRun({ writeMs: 1000 });
    run.script.send(text("a", 1));
    await run.clock.advance(1100);
    run.script.send(text("b", 2), DONE);
    run.script.end();
    await run.clock.advance(10);
    run.log.takeOver();
    expect(await run.clock.run(run.outcome)).toEqual({ kind: "fenced", offset: 1 });
    expect(run.log.finished).toBeNull();
  });

  test("budget: at budgetMs the runner stops producing, flushes and returns the agent cursor", async () => {
    const run = await scriptedRun({ budgetMs: 1000 });
    run.script.send(text("before the budget", 7));
    expect(await run.clock.run(run.outcome)).toEqual({
      kind: "budget",
      offset: 17,
      cursor: { responseId: "r", sequenceNumber: 7 },
    });
    expect(run.clock.now()).toBeGreaterThanOrEqual(1000);
    expect(run.log.text()).toBe("before the budget");
    expect(run.log.finished).toBeNull();
  });
});
