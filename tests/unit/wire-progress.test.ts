import { expect, test } from "vitest";
import { encodeRealtimeMessage, encodeSessionEvent } from "../../lib/session/wire.ts";

const unnamed = { stage: "", outputTokens: 12, elapsedMs: 300, estimated: true, credits: 1 };

test("progress has one shape over SSE and Realtime: a stage the agent did not name is null on both", () => {
  const sse = encodeSessionEvent({ type: "progress", ...unnamed });
  const realtime = encodeRealtimeMessage("progress", unnamed);
  expect(sse.data).toEqual({ ...unnamed, stage: null });
  expect(realtime.payload).toEqual(sse.data);
  const named = { ...unnamed, stage: "tool: search" };
  expect(encodeSessionEvent({ type: "progress", ...named }).data).toEqual(named);
  expect(encodeRealtimeMessage("progress", named).payload).toEqual(named);
});
