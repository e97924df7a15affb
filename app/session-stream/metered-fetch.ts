import { readApiError } from "./api-client.ts";
import { streamMeter } from "./stream-meter.ts";

/**
 * The chat transport's `fetch`: a refusal becomes an `ApiError` with the server's code (so a 402 or
 * a 429 is told as a sentence, with the balance or the wait), and each event stream is measured for
 * `?debug=stream` (connection, headers, network reads, events).
 */
export async function meteredFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = init?.method ?? "GET";
  // Only the stream reads: the session's watch, which the transport posts too, would restart the meter.
  const metered = isStreamRead(url);
  if (metered) streamMeter.opened(`${method} ${url}`, true);
  const response = await fetch(input, { cache: "no-store", ...init });
  if (!response.ok) throw await readApiError(response);
  if (!metered) return response;
  streamMeter.headers();
  if (!response.body || !response.headers.get("content-type")?.includes("text/event-stream")) return response;
  return new Response(response.body.pipeThrough(meterEvents()), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** `POST /api/chat` and `GET /api/chat/{id}/stream`: the requests that answer with the UI message stream. */
function isStreamRead(url: string): boolean {
  const path = new URL(url, "http://page.invalid").pathname;
  return path === "/api/chat" || /^\/api\/chat\/[^/]+\/stream$/.test(path);
}

/** Passes the bytes on unchanged, telling the meter of every network read and every SSE event. */
function meterEvents(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      streamMeter.chunk();
      pending += decoder.decode(chunk, { stream: true });
      const events = pending.split("\n\n");
      pending = events.pop() ?? "";
      for (const event of events) {
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data !== "" && data !== "[DONE]") streamMeter.event(data);
      }
      controller.enqueue(chunk);
    },
  });
}
