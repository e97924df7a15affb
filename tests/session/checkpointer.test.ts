import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Checkpointer, type CheckpointerOptions } from "../../lib/session/checkpointer.ts";
import { sleep } from "../../lib/session/clock.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { MemoryLog } from "../support/memory-log.ts";

const INTERVAL_MS = 250;
const options = {
  sessionId: "s",
  epoch: 1,
  startOffset: 0,
  intervalMs: INTERVAL_MS,
  maxBytes: 64,
  leaseSeconds: 30,
};

function checkpointer(
  clock: FakeClock,
  store: CheckpointerOptions["store"],
  extra: Partial<CheckpointerOptions> = {},
) {
  return new Checkpointer({ ...options, clock, store, ...extra });
}

/** What the database does with one write: how long it takes, and whether it fails before or after landing. */
const writeBehaviour = fc.record({
  delayMs: fc.integer({ min: 0, max: 4 * INTERVAL_MS }),
  fault: fc.constantFrom("none", "none", "none", "before", "lost_reply"),
});

const step = fc.oneof(
  {
    arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).map((text) => ({ push: text })),
    weight: 5,
  },
  { arbitrary: fc.integer({ min: 0, max: 3 * INTERVAL_MS }).map((ms) => ({ advance: ms })), weight: 3 },
  { arbitrary: fc.constant({ heartbeat: true }), weight: 1 },
  { arbitrary: fc.constant({ flush: true }), weight: 1 },
);

describe("Checkpointer", () => {
  test("property: against a store slower than CHECKPOINT_MS, with random delays, failures and lost replies, the log is exactly what was pushed, one write is in flight and offsets only grow", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeBehaviour, { minLength: 1, maxLength: 20 }),
        fc.array(step, { maxLength: 60 }),
        async (behaviours, steps) => {
          const clock = new FakeClock();
          const log = new MemoryLog();
          let writeNo = 0;
          let behaviour = behaviours[0]!;
          const store = log.store({
            before: async () => {
              // After the scripted writes the database stays slow but answers (it came back).
              behaviour = behaviours[writeNo++] ?? { delayMs: 2 * INTERVAL_MS, fault: "none" };
              await sleep(clock, behaviour.delayMs);
              if (behaviour.fault === "before") throw new Error("connection reset");
            },
            after: async () => {
              if (behaviour.fault === "lost_reply") throw new Error("connection lost after commit");
            },
          });
          const writer = checkpointer(clock, store);
          const flushes: Promise<"ok" | "fenced">[] = [];
          let pushed = "";
          let lastDurable = 0;
          let lastOffset = 0;
          const observe = () => {
            expect(writer.durableOffset).toBeGreaterThanOrEqual(lastDurable);
            expect(writer.offset).toBeGreaterThanOrEqual(lastOffset);
            expect(writer.offset).toBe(Buffer.byteLength(pushed));
            expect(log.durableOffset).toBeGreaterThanOrEqual(writer.durableOffset);
            lastDurable = writer.durableOffset;
            lastOffset = writer.offset;
          };
          for (const next of steps) {
            if ("push" in next) {
              writer.push(next.push, { cursor: { at: pushed.length } });
              pushed += next.push;
            } else if ("advance" in next) await clock.advance(next.advance);
            else if ("heartbeat" in next) flushes.push(writer.heartbeat());
            else flushes.push(writer.flush());
            observe();
          }
          const final = writer.flush();
          expect(await clock.run(final)).toBe("ok");
          for (const result of await Promise.all(flushes)) expect(result).toBe("ok");
          observe();
          expect(log.text()).toBe(pushed);
          expect(writer.durableOffset).toBe(Buffer.byteLength(pushed));
          expect(log.durableOffset).toBe(writer.durableOffset);
          expect(log.maxInFlight).toBeLessThanOrEqual(1);
          expect(writer.fenced).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("writes during the stream, one per CHECKPOINT_MS (leading edge), not only when flushed", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    const writeTimes: number[] = [];
    const writer = checkpointer(clock, log.store({ before: async () => void writeTimes.push(clock.now()) }));
    for (let ms = 0; ms < 1000; ms++) {
      writer.push("token ");
      await clock.advance(1);
    }
    // Before any flush: one write as soon as output arrives, then one every interval.
    expect(writeTimes).toEqual([0, 250, 500, 750, 1000]);
    expect(log.durableOffset).toBe(1000 * 6);
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.text()).toBe("token ".repeat(1000));
  });

  test("a write slower than the interval delays the next one: never two in flight", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    const writer = checkpointer(clock, log.store({ before: () => sleep(clock, 1000) }));
    for (let ms = 0; ms < 3000; ms += 10) {
      writer.push("x");
      if (ms % 300 === 0) void writer.heartbeat();
      await clock.advance(10);
    }
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.maxInFlight).toBe(1);
    expect(log.text()).toBe("x".repeat(300));
  });

  test("a failed write is retried unchanged, with backoff, and loses nothing", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    let failures = 3;
    const retries: number[] = [];
    const store = log.store({
      before: async () => {
        if (failures-- > 0) throw new Error("database unavailable");
      },
    });
    const writer = checkpointer(clock, store, { onRetry: () => retries.push(clock.now()) });
    writer.push("hello ");
    await clock.advance(0);
    writer.push("wörld");
    expect(await clock.run(writer.flush(), 1)).toBe("ok");
    expect(log.text()).toBe("hello wörld");
    expect(retries).toEqual([0, 100, 300]);
    // The failed batch was re-sent as it was; the later text went in its own write.
    expect(log.rows.map((row) => row.text)).toEqual(["hello ", "wörld"]);
  });

  test("a write whose reply was lost is answered duplicate and consumes only what it carried", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    let lose = true;
    const store = log.store({
      before: () => sleep(clock, 400),
      after: async () => {
        if (lose) {
          lose = false;
          throw new Error("connection lost after commit");
        }
      },
    });
    const writer = checkpointer(clock, store);
    writer.push("first ");
    await clock.advance(100);
    writer.push("second ");
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.text()).toBe("first second ");
    expect(writer.durableOffset).toBe(13);
    expect(writer.fenced).toBe(false);
  });

  test("memory for unflushed output is bounded: past the limit the runner is told to wait until a write lands", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    // The database is stalled: every write takes 10 s.
    const writer = checkpointer(clock, log.store({ before: () => sleep(clock, 10_000) }), {
      maxBufferedBytes: 1000,
    });
    writer.push("x".repeat(10));
    await clock.advance(20);
    for (let i = 0; i < 50; i++) writer.push("y".repeat(100));
    expect(writer.overLimit).toBe(true);
    let drained = false;
    const waiting = writer.drained().then(() => {
      drained = true;
    });
    await clock.advance(5000);
    expect(drained).toBe(false);
    await clock.run(waiting);
    expect(drained).toBe(true);
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.text()).toBe("x".repeat(10) + "y".repeat(5000));
  });

  test("after another writer takes the session, the writer is fenced and stops", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    const writer = checkpointer(clock, log.store());
    writer.push("first");
    expect(await clock.run(writer.flush())).toBe("ok");
    log.takeOver();
    writer.push("second");
    expect(await clock.run(writer.flush())).toBe("fenced");
    expect(writer.fenced).toBe(true);
    expect(log.text()).toBe("first");
  });
});

describe("Checkpointer pace by watchers (issue 19)", () => {
  /** A store over `log` that answers who watches: the session's watch lasts `watchMs()` more. */
  function watchedStore(log: MemoryLog, clock: FakeClock, writeTimes: number[], watchMs: () => number) {
    const store = log.store({ before: async () => void writeTimes.push(clock.now()) });
    return async (write: Parameters<typeof store>[0]) => {
      const outcome = await store(write);
      const plain = typeof outcome === "string" ? outcome : outcome.outcome;
      return { outcome: plain, watchers: { sessionMs: watchMs(), listMs: 0 } };
    };
  }

  test("unwatched it writes every idle interval; once a write finds a watcher, every short interval", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    const writeTimes: number[] = [];
    let watchUntil = Number.NEGATIVE_INFINITY;
    const store = watchedStore(log, clock, writeTimes, () => Math.max(0, watchUntil - clock.now()));
    const writer = checkpointer(clock, store, { intervalMs: 100, idleIntervalMs: 1000, maxBytes: 64 });
    // 20 bytes a second: a row (64 bytes) never fills within the idle interval.
    for (let ms = 0; ms < 3000; ms += 50) {
      if (ms === 2500) watchUntil = clock.now() + 60_000; // a tab starts watching
      writer.push("x");
      await clock.advance(50);
    }
    // Unwatched: 0 (leading edge), 1000, 2000; the write at 3000 finds the watcher (it was known
    // only once a write read it); then one every 100 ms.
    expect(writeTimes.filter((at) => at <= 3000)).toEqual([0, 1000, 2000, 3000]);
    expect(writer.watch).toEqual({ session: true, list: false });
    for (let ms = 0; ms < 500; ms += 50) {
      writer.push("y");
      await clock.advance(50);
    }
    expect(writeTimes.filter((at) => at > 3000)).toEqual([3100, 3200, 3300, 3400, 3500]);
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.text()).toBe(`${"x".repeat(60)}${"y".repeat(10)}`);
  });

  test("a live runner's client watches it: the short interval with no watch row, and at once when 128 events wait", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    const writeTimes: number[] = [];
    const store = watchedStore(log, clock, writeTimes, () => 0);
    const options = { intervalMs: 100, idleIntervalMs: 1000, maxBytes: 1 << 20, live: { maxEvents: 128 } };
    const writer = checkpointer(clock, store, options);
    for (let ms = 0; ms < 350; ms += 50) {
      writer.push("x");
      await clock.advance(50);
    }
    expect(writeTimes).toEqual([0, 100, 200, 300]);
    // 128 deltas at once: written without waiting for the interval (due at 400).
    for (let i = 0; i < 128; i++) writer.push("y");
    await clock.advance(1);
    expect(writeTimes.at(-1)).toBe(350);
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.text()).toBe(`${"x".repeat(7)}${"y".repeat(128)}`);
  });

  test("unwatched, a row's worth of unwritten output is written at the short interval", async () => {
    const clock = new FakeClock();
    const log = new MemoryLog();
    const writeTimes: number[] = [];
    const writer = checkpointer(
      clock,
      watchedStore(log, clock, writeTimes, () => 0),
      {
        intervalMs: 100,
        idleIntervalMs: 1000,
        maxBytes: 64,
      },
    );
    writer.push("x");
    await clock.advance(10);
    expect(writer.watch).toEqual({ session: false, list: false });
    writer.push("z".repeat(64));
    await clock.advance(500);
    expect(writeTimes).toEqual([0, 100]);
    expect(await clock.run(writer.flush())).toBe("ok");
    expect(log.text()).toBe(`x${"z".repeat(64)}`);
  });
});
