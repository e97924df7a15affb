import { describe, expect, test } from "vitest";
import { reduceSession } from "../../app/session-stream/session-reducer.ts";
import {
  type FollowerState,
  idleFollowerState,
  streamCursor,
} from "../../app/session-stream/session-state.ts";
import { decodeRealtimeMessage } from "../../lib/session/wire.ts";

const SESSION = "5e55a000-0000-4000-8000-000000000002";

/** A tab following a background session over Realtime, holding "héllo" (6 bytes). */
const following: FollowerState = {
  ...idleFollowerState,
  phase: "running",
  sessionId: SESSION,
  status: "background",
  log: { text: "héllo", offset: 6 },
  connection: "realtime",
};

const log = (payload: unknown) => ({
  kind: "realtime" as const,
  message: decodeRealtimeMessage("log", payload)!,
});

describe("following over Realtime between catch-up reads", () => {
  test("a catch-up read that reaches the durable end hands the session back to Realtime", () => {
    const reading = reduceSession(following, { kind: "realtime-resync" });
    expect(reading.connection).toBe("stream");
    expect(reading.resync).toBe(following.resync + 1);
    expect(reduceSession(reading, { kind: "caught-up" }).connection).toBe("realtime");
  });

  test("contiguous log messages are applied in place, with no request to the web server", () => {
    const next = reduceSession(following, log({ from: 6, to: 12, text: " world", generation: 2 }));
    expect(next.log).toEqual({ text: "héllo world", offset: 12 });
    expect(next.epoch).toBe(2);
    expect(next.connection).toBe("realtime");
    // A repeat (after a rejoin) changes nothing.
    expect(reduceSession(next, log({ from: 6, to: 12, text: " world", generation: 2 }))).toBe(next);
  });

  test("a log of another producer than the tab's bytes asks for a catch-up read from the tab's cursor", () => {
    // After a live answer the tab may hold bytes past the durable log that a new producer replaces.
    const streamed = { ...following, epoch: 1 };
    const asked = reduceSession(streamed, log({ from: 6, to: 12, text: " world", generation: 2 }));
    expect(asked).toMatchObject({ connection: "stream", log: streamed.log });
    expect(streamCursor(asked)).toBe("1:6");
    // The same producer's bytes apply in place and carry its generation in the cursor.
    const same = reduceSession(streamed, log({ from: 6, to: 12, text: " world", generation: 1 }));
    expect(same).toMatchObject({ connection: "realtime", epoch: 1 });
    expect(streamCursor(same)).toBe("1:12");
  });

  test("a gap, a log without text and the final status each ask for one catch-up read", () => {
    expect(reduceSession(following, log({ from: 9, to: 12, text: "abc" })).connection).toBe("stream");
    expect(reduceSession(following, log({ from: 6, to: 40 })).connection).toBe("stream");
    const ended = reduceSession(following, {
      kind: "realtime",
      message: decodeRealtimeMessage("status", {
        status: "completed",
        runner: "worker",
        offset: 6,
        seams: [],
      })!,
    });
    expect(ended).toMatchObject({ status: "completed", connection: "stream" });
  });

  test("a final status past the held bytes is not shown until the read brings them", () => {
    const status = (offset: number) => ({
      kind: "realtime" as const,
      message: decodeRealtimeMessage("status", { status: "completed", runner: "worker", offset, seams: [] })!,
    });
    // The log ends at 12; the tab holds 6 (its server died before it read the rest).
    const early = reduceSession(following, status(12));
    expect(early).toMatchObject({ status: "background", runner: "worker", connection: "stream" });
    // The same final status in the catch-up read's first events: still not shown over 6 bytes.
    const state = { status: "completed" as const, runner: "worker" as const, offset: 12, seams: [] };
    const opened = reduceSession(early, {
      kind: "event",
      event: { type: "session", sessionId: SESSION, conversationId: "c", ...state },
      at: 1,
    });
    expect(opened.status).toBe("background");
    const replayed = reduceSession(opened, { kind: "event", event: { type: "status", ...state }, at: 1 });
    expect(replayed.status).toBe("background");
    const read = reduceSession(replayed, {
      kind: "event",
      event: { type: "delta", text: " world", offset: 12, epoch: 2 },
      at: 2,
    });
    const done = reduceSession(read, {
      kind: "event",
      event: { type: "done", status: "completed", offset: 12, usage: null, costUsd: null },
      at: 3,
    });
    expect(done).toMatchObject({
      status: "completed",
      phase: "finished",
      log: { text: "héllo world", offset: 12 },
    });
  });

  test("a rejoin of a finished or live session reads nothing", () => {
    const finished = { ...following, phase: "finished" as const, connection: "none" as const };
    expect(reduceSession(finished, { kind: "realtime-resync" })).toBe(finished);
    const live = { ...following, connection: "live" as const };
    expect(reduceSession(live, { kind: "realtime-resync" })).toBe(live);
    expect(reduceSession(live, { kind: "caught-up" })).toBe(live);
  });
});
