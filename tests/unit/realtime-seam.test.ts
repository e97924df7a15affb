import { describe, expect, test } from "vitest";
import { reduceSession } from "../../app/session-stream/session-reducer.ts";
import {
  idleSessionRunState,
  type SessionRunState,
  streamCursor,
} from "../../app/session-stream/session-state.ts";
import { decodeRealtimeMessage } from "../../lib/session/wire.ts";

const SESSION = "5e55a000-0000-4000-8000-000000000003";

/**
 * A tab whose live stream showed "tick 1tick 2" (12 bytes) from producer 2 before its runner died;
 * only the first 6 bytes were durable, and the continuation after the seam at 6 differs.
 */
const aheadOfTheLog: SessionRunState = {
  ...idleSessionRunState,
  phase: "running",
  sessionId: SESSION,
  status: "background",
  log: { text: "tick 1tick 2", offset: 12 },
  generation: 2,
  connection: "realtime",
};

const log = (payload: unknown) => ({
  kind: "realtime" as const,
  message: decodeRealtimeMessage("log", payload)!,
});

describe("Realtime bytes that replaced what a live stream showed (a seam the tab has not seen)", () => {
  test("a log message that covers the held bytes with other text drops them and ends exact", () => {
    const next = reduceSession(aheadOfTheLog, log({ from: 6, to: 20, text: " and more text" }));
    expect(next.log).toEqual({ text: "tick 1 and more text", offset: 20 });
    expect(streamCursor(next)).toBe("20");
  });

  test("a shorter log message that disagrees drops the stale bytes too", () => {
    const next = reduceSession(aheadOfTheLog, log({ from: 6, to: 8, text: " a" }));
    expect(next.log).toEqual({ text: "tick 1 a", offset: 8 });
  });

  test("a log message that agrees keeps the tab's unconfirmed bytes and their generation", () => {
    const next = reduceSession(aheadOfTheLog, log({ from: 6, to: 9, text: "tic" }));
    expect(next.log).toEqual(aheadOfTheLog.log);
    // The bytes past 9 are still only the live stream's: a catch-up read must carry the cursor.
    expect(next.generation).toBe(2);
    expect(streamCursor(next)).toBe("2:12");
  });
});
