import { request } from "undici";
import type { AgentHttpRequest } from "./transports/transport.ts";

/**
 * Agents may be silent for many minutes during a tool call, so neither headers nor body ever time
 * out (undici's defaults would cut a silent stream after 300 s); the caller's AbortSignal and the
 * session budget bound every request instead. Set per request, so agent traffic needs no pool of
 * its own (undici's per-process dispatcher keeps the connections).
 */
export const AGENT_CONNECTION_TIMEOUTS = { bodyTimeout: 0, headersTimeout: 0 } as const;

/** The parts of an HTTP response the transports read. */
export interface AgentResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  /** The body bytes; `cancel()` releases the connection without reading them. */
  body: (AsyncIterable<Uint8Array> & { cancel(): Promise<void> }) | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * Sends one agent request; rejects only when no response arrived (network error, abort).
 * `undici.request` rather than `fetch`: its body is a plain Node stream, which costs a fraction of
 * the memory of WHATWG streams per open connection — and a thousand idle agent streams are normal.
 */
export async function sendAgentRequest(
  agentRequest: AgentHttpRequest,
  signal?: AbortSignal,
): Promise<AgentResponse> {
  const response = await request(agentRequest.url, {
    method: agentRequest.method as "GET" | "POST",
    headers: agentRequest.headers,
    ...(agentRequest.body !== undefined ? { body: agentRequest.body } : {}),
    ...(signal ? { signal } : {}),
    ...AGENT_CONNECTION_TIMEOUTS,
  });
  const body = response.body;
  // Errors reach readers through iteration (or text/json); this listener only keeps an error on a
  // body nobody is reading (one we cancel, or that breaks before iteration starts) from being an
  // unhandled 'error' event that takes the whole process down.
  body.on("error", () => {});
  return {
    status: response.statusCode,
    ok: response.statusCode >= 200 && response.statusCode < 300,
    headers: {
      get(name) {
        const value = response.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : String(value);
      },
    },
    body: Object.assign(body, {
      async cancel() {
        body.destroy();
      },
    }),
    text: () => body.text(),
    json: () => body.json(),
  };
}
