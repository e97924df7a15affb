import { EventSource, type FetchLikeResponse } from "eventsource";
import { expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { parseCursor } from "../../lib/session/wire.ts";
import { readSse } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { stack, user: alice, token: aliceToken } = withStack({ signIn: "alice@example.com" });

test("EventSource reconnecting with Last-Event-ID after a forced disconnect ends with the exact text", async () => {
  const seed = "eventsource";
  const events = await readSse(await alice.chat({ message: `#sim tokens=600 rate=200 seed=${seed}` }), {
    until: (event) => event.event === "session",
  });
  const sessionId = JSON.parse(events[0]!.data).sessionId as string;

  const lastEventIds: (string | null)[] = [];
  let connections = 0;
  // The first connection is cut after a few reads, as a flaky network would; later ones run normally.
  const flakyFetch = async (url: string | URL, init: RequestInit): Promise<FetchLikeResponse> => {
    connections++;
    lastEventIds.push(new Headers(init.headers as HeadersInit).get("last-event-id"));
    const response = await fetch(url, {
      ...init,
      headers: { ...(init.headers as object), authorization: `Bearer ${aliceToken()}` },
    });
    if (connections > 1 || !response.body) return response as unknown as FetchLikeResponse;
    const reader = response.body.getReader();
    let reads = 0;
    const cut = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
        if (++reads === 4) {
          await reader.cancel();
          controller.error(new Error("network cut"));
        }
      },
    });
    return new Response(cut, {
      status: response.status,
      headers: response.headers,
    }) as unknown as FetchLikeResponse;
  };

  const text = await new Promise<string>((resolve, reject) => {
    let received = "";
    const source = new EventSource(`${stack.appUrl}/api/sessions/${sessionId}/stream`, {
      fetch: flakyFetch as never,
    });
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`timed out with ${received.length} chars`));
    }, 30_000);
    source.addEventListener("delta", (event) => {
      received += (JSON.parse(event.data) as { text: string }).text;
    });
    source.addEventListener("done", () => {
      clearTimeout(timer);
      source.close();
      resolve(received);
    });
  });

  expect(connections).toBeGreaterThanOrEqual(2);
  expect(lastEventIds[0]).toBeNull();
  // The cursor of the last delta received: `<generation>:<offset>`.
  expect(parseCursor(lastEventIds[1] ?? "")?.offset).toBeGreaterThan(0);
  expect(text).toBe(simulatedText(seed, 600));
});
