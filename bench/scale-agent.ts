import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { nowMs } from "./environment.ts";

/** Words of the scale agent's text; a few multi-byte ones, so byte offsets are not character counts. */
const WORDS = ["offset", "durable", "log", "naïve", "café", "日本", "stream", "watch", "tail", "🚀"];

/** The text a scale session streams: token i is WORDS[(seed + i) % n] and a space. */
export function scaleToken(seed: number, index: number): string {
  return `${WORDS[(seed + index) % WORDS.length]} `;
}

/** The whole text of a scale session (what its log must hold at the end, byte for byte). */
export function scaleText(seed: number, tokens: number): string {
  let text = "";
  for (let i = 0; i < tokens; i++) text += scaleToken(seed, i);
  return text;
}

/** The request line that drives it: `#scale seed=N tokens=N rate=N` in the user message. */
export const scaleMessage = (seed: number, tokens: number, rate: number) =>
  `#scale seed=${seed} tokens=${tokens} rate=${rate}`;

const directive = /#scale seed=(\d+) tokens=(\d+) rate=(\d+)/;

/**
 * A chat-completions agent for the scale bench: deterministic text at a fixed pace, recording when it
 * sent each token (wall clock, comparable across processes) so a follower's latency can be measured
 * from agent send to arrival. `GET /sent?seed=N` answers `[[endByteOffset, sentAtMs], …]`.
 */
export async function startScaleAgent(): Promise<{ url: string; close(): Promise<void> }> {
  const sent = new Map<number, [number, number][]>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://scale-agent");
    if (request.method === "GET" && url.pathname === "/sent") {
      const record = sent.get(Number(url.searchParams.get("seed"))) ?? [];
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(record));
      return;
    }
    void stream(request, response, sent);
  });
  // No idle timeout from this side: a runner reusing a socket the server just closed fails its run.
  server.keepAliveTimeout = 0;
  // A thousand runners connect within seconds: a deeper accept queue than Node's 511.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function stream(
  request: IncomingMessage,
  response: ServerResponse,
  sent: Map<number, [number, number][]>,
): Promise<void> {
  let body = "";
  for await (const chunk of request) body += chunk;
  const match = directive.exec(body);
  if (!match) {
    response.writeHead(400, { "content-type": "application/json" }).end('{"error":"no #scale line"}');
    return;
  }
  const [seed, tokens, rate] = match.slice(1).map(Number) as [number, number, number];
  const record: [number, number][] = [];
  sent.set(seed, record);
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const frame = (choices: unknown[], usage?: unknown) =>
    response.write(
      `data: ${JSON.stringify({ id: "scale", object: "chat.completion.chunk", choices, usage })}\n\n`,
    );
  frame([{ index: 0, delta: { role: "assistant", content: "" } }]);
  const start = performance.now();
  let offset = 0;
  for (let i = 0; i < tokens && !response.destroyed; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const token = scaleToken(seed, i);
    offset += Buffer.byteLength(token);
    frame([{ index: 0, delta: { content: token } }]);
    record.push([offset, nowMs()]);
  }
  frame([{ index: 0, delta: {}, finish_reason: "stop" }]);
  frame([], { prompt_tokens: 1, completion_tokens: tokens });
  response.end("data: [DONE]\n\n");
}
