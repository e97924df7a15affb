import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { RealtimeBroadcaster } from "../../lib/realtime/broadcaster.ts";
import type { SessionState } from "../../lib/realtime/session-observer.ts";

interface Sent {
  at: number;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

const SESSION = "5e551011-0000-4000-8000-000000000001";
const USER = "a11ce000-0000-4000-8000-000000000001";

function state(status: string, offset: number): SessionState {
  return {
    id: SESSION,
    userId: USER,
    status,
    runner: "worker",
    offset,
    seams: [],
    title: "t",
    agent: "sim",
    updatedAt: new Date().toISOString(),
  };
}

function setup(options: { fail?: boolean } = {}) {
  const sent: Sent[] = [];
  const errors: Record<string, unknown>[] = [];
  let current = state("background", 0);
  const broadcaster = new RealtimeBroadcaster({
    publish: async (topic, event, payload) => {
      sent.push({ at: Date.now(), topic, event, payload });
      if (options.fail) throw new Error("connect ECONNREFUSED");
    },
    loadSession: async () => current,
    onError: (_message, fields) => errors.push(fields),
  });
  return {
    broadcaster,
    sent,
    errors,
    setState: (next: SessionState) => {
      current = next;
    },
  };
}

/** A runner at `tokensPerSecond` (4 bytes a token): a durable append every 250 ms, progress every 20 ms. */
async function run(
  broadcaster: RealtimeBroadcaster,
  tokensPerSecond: number,
  seconds: number,
): Promise<number> {
  let offset = 0;
  const bytesPerAppend = (tokensPerSecond * 4) / 4;
  for (let tick = 0; tick < seconds * 50; tick++) {
    broadcaster.progress(SESSION, { stage: "writing", outputTokens: tick, elapsedMs: tick * 20 });
    if (tick % 12 === 0) {
      const text = "x".repeat(bytesPerAppend);
      broadcaster.appended({ sessionId: SESSION, from: offset, to: offset + text.length, text });
      offset += text.length;
    }
    await vi.advanceTimersByTimeAsync(20);
  }
  return offset;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeBroadcaster", () => {
  test.each([1000, 10_000])(
    "at %i tokens/s: at most 10 messages a second, every byte range covered, last state sent",
    async (rate) => {
      const { broadcaster, sent, setState } = setup();
      const end = await run(broadcaster, rate, 60);
      setState(state("completed", end));
      broadcaster.statusChanged(SESSION);
      await vi.advanceTimersByTimeAsync(2000);

      const session = sent.filter((message) => message.topic === `session:${SESSION}`);
      expect(session.length).toBeLessThanOrEqual(600 + 8);
      for (let i = 10; i < session.length; i++) {
        expect(session[i]!.at - session[i - 10]!.at).toBeGreaterThanOrEqual(1000);
      }
      const logs = session.filter((message) => message.event === "log").map((message) => message.payload);
      let covered = 0;
      for (const log of logs) {
        expect(log.from).toBe(covered);
        covered = log.to as number;
        if (log.text !== undefined)
          expect((log.text as string).length).toBe((log.to as number) - (log.from as number));
        else expect((log.to as number) - (log.from as number)).toBeGreaterThan(32 * 1024);
      }
      expect(covered).toBe(end);
      expect(session.some((message) => message.event === "progress")).toBe(true);
      expect(session.at(-1)).toMatchObject({
        event: "status",
        payload: { status: "completed", offset: end },
      });
      expect(sent.find((message) => message.topic === `user:${USER}`)).toMatchObject({
        event: "session",
        payload: { id: SESSION, status: "completed", title: "t", agent: "sim" },
      });
    },
  );

  test("a failing endpoint never throws into the caller and logs with the session id, rarely", async () => {
    const { broadcaster, errors } = setup({ fail: true });
    await run(broadcaster, 1000, 10);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(2);
    expect(errors[0]).toMatchObject({ sessionId: SESSION });
  });
});

describe("RealtimeBroadcaster by watchers (issue 19)", () => {
  const progress = (tick: number) => ({ stage: "writing", outputTokens: tick, elapsedMs: tick * 20 });

  test("an unwatched session sends no log and no progress, only status and the list's session event; a watcher makes it live again", async () => {
    const { broadcaster, sent } = setup();
    const unwatched = { session: false, list: false };
    for (let i = 0; i < 20; i++) {
      broadcaster.progress(SESSION, progress(i), unwatched);
      broadcaster.appended({ sessionId: SESSION, from: i, to: i + 1, text: "u", epoch: 1, watch: unwatched });
      await vi.advanceTimersByTimeAsync(100);
    }
    broadcaster.statusChanged(SESSION);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent.map((message) => `${message.topic} ${message.event}`).sort()).toEqual([
      `session:${SESSION} status`,
      `user:${USER} session`,
    ]);
    // A watcher arrived: the next append goes out (the tab reads what came before it).
    const watched = { session: true, list: false };
    broadcaster.appended({ sessionId: SESSION, from: 20, to: 21, text: "w", epoch: 1, watch: watched });
    broadcaster.progress(SESSION, progress(21), watched);
    await vi.advanceTimersByTimeAsync(2000);
    const live = sent.slice(2).filter((message) => message.topic === `session:${SESSION}`);
    expect(live.map((message) => message.event).sort()).toEqual(["log", "progress"]);
    expect(live.find((message) => message.event === "log")!.payload).toMatchObject({
      from: 20,
      to: 21,
      text: "w",
    });
  });

  test("while the list is watched, an unwatched session's progress reaches user:<id> at most every 15 s", async () => {
    const { broadcaster, sent } = setup();
    const listOnly = { session: false, list: true };
    for (let tick = 0; tick < 1500; tick++) {
      broadcaster.progress(SESSION, progress(tick), listOnly);
      await vi.advanceTimersByTimeAsync(20);
    }
    // 30 s of progress every 20 ms: the first at once, then one per 15 s.
    const listed = sent.filter((message) => message.topic === `user:${USER}`);
    expect(listed.map((message) => message.payload.progress)).toEqual([progress(0), progress(750)]);
    expect(listed[0]!.payload).toMatchObject({ id: SESSION, status: "background", title: "t" });
    expect(sent.some((message) => message.topic === `session:${SESSION}`)).toBe(false);
  });
});

describe("RealtimeBroadcaster under the project's rate limit", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("after a 429 it pauses a second, then sends what coalesced meanwhile", async () => {
    const sent: { at: number; event: string; payload: Record<string, unknown> }[] = [];
    let refuse = true;
    const broadcaster = new RealtimeBroadcaster({
      publish: async (_topic, event, payload) => {
        sent.push({ at: Date.now(), event, payload });
        if (refuse) {
          refuse = false;
          throw new Error("You have exceeded your rate limit");
        }
      },
      loadSession: async () => null,
      onError: () => {},
    });
    const start = Date.now();
    broadcaster.appended({ sessionId: SESSION, from: 0, to: 1, text: "a" });
    await vi.advanceTimersByTimeAsync(10);
    for (let i = 1; i < 10; i++) {
      broadcaster.appended({ sessionId: SESSION, from: i, to: i + 1, text: "b" });
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent.length).toBe(2);
    expect(sent[1]!.at - start).toBeGreaterThanOrEqual(1000);
    expect(sent[1]!.payload).toEqual({ from: 1, to: 10, text: "bbbbbbbbb" });
  });
});

describe("RealtimeBroadcaster at its in-flight limit", () => {
  test("a burst of status changes never passes the limit, list events included, and a watched session's log goes first", async () => {
    const sent: { topic: string; event: string }[] = [];
    const answers: (() => void)[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const broadcaster = new RealtimeBroadcaster({
      maxInFlight: 2,
      publish: (topic, event) => {
        sent.push({ topic, event });
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        return new Promise<void>((resolve) => answers.push(resolve));
      },
      loadSession: async (id) => ({ ...state("background", 0), id }),
      onError: () => {},
    });
    // Twenty sessions claimed at once, the watched one last: a status and a list event each.
    const claimed = Array.from(
      { length: 20 },
      (_, i) => `5e551011-0000-4000-8000-0000000001${String(i).padStart(2, "0")}`,
    );
    const watched = claimed.at(-1)!;
    for (const id of claimed) broadcaster.statusChanged(id);
    await vi.advanceTimersByTimeAsync(1);
    // Its first bytes arrive while its status still waits in line behind the others.
    broadcaster.appended({ sessionId: watched, from: 0, to: 5, text: "hello" });
    await vi.advanceTimersByTimeAsync(1);
    // Realtime answers one message at a time; every message goes out in the end.
    while (answers.length > 0) {
      inFlight -= 1;
      answers.shift()!();
      await vi.advanceTimersByTimeAsync(30);
    }
    expect(mostInFlight).toBe(2);
    expect(sent.length).toBe(41);
    // The two sent before the bytes arrived, then the bytes at the first free place, then the rest.
    const watchedTopic = sent.flatMap((message, index) =>
      message.topic === `session:${watched}` ? [[index, message.event]] : [],
    );
    expect(watchedTopic[0]).toEqual([2, "log"]);
    expect(watchedTopic[1]![1]).toBe("status");
  });
});
