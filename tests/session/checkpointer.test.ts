import { describe, expect, test } from "vitest";
import type { AppendCheckpoint } from "../../lib/db/session-log.ts";
import { Checkpointer, type CheckpointStore } from "../../lib/session/checkpointer.ts";

/** An in-memory log with the same contract as appendCheckpoint: contiguous, epoch-fenced. */
function memoryLog(options: { latencyMs?: number; failTimes?: number } = {}) {
  const chunks: AppendCheckpoint[] = [];
  let durable = 0;
  let epoch = 1;
  let failures = options.failTimes ?? 0;
  const store: CheckpointStore = async (write) => {
    await new Promise((resolve) => setTimeout(resolve, options.latencyMs ?? 0));
    if (failures > 0) {
      failures--;
      throw new Error("database unavailable");
    }
    if (write.epoch !== epoch || write.startOffset !== durable) return "fenced";
    if (write.text) chunks.push(write);
    durable += Buffer.byteLength(write.text);
    return "ok";
  };
  return {
    store,
    text: () => chunks.map((chunk) => chunk.text).join(""),
    writes: () => chunks.length,
    takeOver: () => {
      epoch++;
    },
  };
}

const options = { sessionId: "s", epoch: 1, startOffset: 0, intervalMs: 20, maxBytes: 64, leaseSeconds: 30 };

describe("Checkpointer", () => {
  test("every pushed byte lands in order while writes are slow and pushes keep coming", async () => {
    const log = memoryLog({ latencyMs: 7 });
    const checkpointer = new Checkpointer({ ...options, store: log.store });
    let expected = "";
    for (let i = 0; i < 300; i++) {
      const piece = `é${i}🚀 `;
      expected += piece;
      checkpointer.push(piece);
      if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await checkpointer.flush()).toBe("ok");
    expect(log.text()).toBe(expected);
    expect(checkpointer.durableOffset).toBe(Buffer.byteLength(expected));
  });

  test("writes at most one append per interval, whatever the rate", async () => {
    const log = memoryLog();
    const checkpointer = new Checkpointer({ ...options, intervalMs: 50, store: log.store });
    const started = Date.now();
    while (Date.now() - started < 500) {
      checkpointer.push("token ");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await checkpointer.flush();
    // 500 ms at one append per 50 ms is about 10 (+1 for the final flush).
    expect(log.writes()).toBeLessThanOrEqual(12);
  });

  test("a failed write is retried with backoff and loses nothing", async () => {
    const log = memoryLog({ failTimes: 3 });
    let retries = 0;
    const checkpointer = new Checkpointer({ ...options, store: log.store, onRetry: () => retries++ });
    checkpointer.push("hello ");
    checkpointer.push("wörld");
    expect(await checkpointer.flush()).toBe("ok");
    expect(log.text()).toBe("hello wörld");
    expect(retries).toBe(3);
  });

  test("memory for unflushed output is bounded: past the limit the runner is told to wait until a write lands", async () => {
    let release!: () => void;
    let calls = 0;
    const written: string[] = [];
    const store: CheckpointStore = async (write) => {
      calls++;
      // The database is down: the first write hangs until it comes back.
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      written.push(write.text);
      return "ok";
    };
    const checkpointer = new Checkpointer({ ...options, store, intervalMs: 1, maxBufferedBytes: 1000 });
    checkpointer.push("x".repeat(10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 50; i++) checkpointer.push("y".repeat(100));
    expect(checkpointer.overLimit).toBe(true);
    let drained = false;
    const waiting = checkpointer.drained().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    release();
    await waiting;
    expect(drained).toBe(true);
    expect(await checkpointer.flush()).toBe("ok");
    expect(written.join("")).toBe("x".repeat(10) + "y".repeat(5000));
  });

  test("after another writer takes the session, the writer is fenced and stops", async () => {
    const log = memoryLog();
    const checkpointer = new Checkpointer({ ...options, store: log.store });
    checkpointer.push("first");
    await checkpointer.flush();
    log.takeOver();
    checkpointer.push("second");
    expect(await checkpointer.flush()).toBe("fenced");
    expect(checkpointer.fenced).toBe(true);
    expect(log.text()).toBe("first");
  });
});
