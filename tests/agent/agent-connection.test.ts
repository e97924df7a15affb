import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, vi } from "vitest";
import { sendAgentRequest } from "../../lib/agent/agent-connection.ts";

// undici's defaults: a response whose headers, or whose body, is silent this long is cut.
const UNDICI_DEFAULT_TIMEOUT_MS = 300_000;

test("an agent connection outlives undici's default headers and body timeouts on a silent stream", async () => {
  let held: ServerResponse | undefined;
  let arrived: () => void = () => {};
  const requestArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const server = createServer((_request, response) => {
    held = response;
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  // Only timers are faked: undici's timeouts run on setTimeout, the sockets stay real. The HTTP
  // server's own timeouts use Node's internal timers, which the fake does not touch.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
  try {
    // sendAgentRequest is the one function every transport sends through (lib/agent/stream-agent.ts).
    const pending = sendAgentRequest({ url, method: "GET", headers: {} });
    // A timeout would reject it while the clock advances; awaited below, so it fails the test there.
    pending.catch(() => {});
    await requestArrived;
    // A tool call that takes longer than the default before the agent answers at all…
    await vi.advanceTimersByTimeAsync(UNDICI_DEFAULT_TIMEOUT_MS + 5_000);
    held!.writeHead(200, { "content-type": "text/plain" });
    held!.write("before the tool call ");
    const response = await pending;
    expect(response.status).toBe(200);
    const reader = response.body![Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe("before the tool call ");
    // …and one that goes silent mid-stream for longer than the default.
    await vi.advanceTimersByTimeAsync(UNDICI_DEFAULT_TIMEOUT_MS + 5_000);
    held!.end("after it");
    let rest = "";
    for (let chunk = await reader.next(); !chunk.done; chunk = await reader.next()) {
      rest += Buffer.from(chunk.value as Uint8Array).toString();
    }
    expect(rest).toBe("after it");
  } finally {
    vi.useRealTimers();
    held?.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
