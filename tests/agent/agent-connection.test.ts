import { expect, test } from "vitest";
import { AGENT_CONNECTION_TIMEOUTS } from "../../lib/agent/agent-connection.ts";

test("agent connections never time out on silence (long tool calls are normal)", () => {
  // undici's defaults (300 s) would cut a silent agent stream; a stall that long is too slow to test live.
  expect(AGENT_CONNECTION_TIMEOUTS).toEqual({ bodyTimeout: 0, headersTimeout: 0 });
});
