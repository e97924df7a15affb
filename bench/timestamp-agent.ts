import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { nowMs } from "./environment.ts";

/**
 * A chat-completions agent whose every delta is its own send time (`<ms>|`), so a reader at the end of
 * any path (raw pipe or the product's live route) can compute how long that delta took to reach it.
 */
export async function startTimestampAgent(options: { deltas: number; perSecond: number }): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const frame = (payload: unknown) => response.write(`data: ${JSON.stringify(payload)}\n\n`);
      frame({
        id: "bench",
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta: { role: "assistant", content: "" } }],
      });
      let sent = 0;
      const interval = 1000 / options.perSecond;
      const start = performance.now();
      const tick = () => {
        if (response.destroyed) return;
        if (sent === options.deltas) {
          frame({
            id: "bench",
            object: "chat.completion.chunk",
            choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
          });
          frame({
            id: "bench",
            object: "chat.completion.chunk",
            choices: [],
            usage: { prompt_tokens: 1, completion_tokens: sent },
          });
          response.end("data: [DONE]\n\n");
          return;
        }
        sent++;
        frame({
          id: "bench",
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta: { content: `${nowMs().toFixed(3)}|` } }],
        });
        setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      };
      tick();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The raw-pipe baseline: a Node server that forwards the agent's response bytes untouched. */
export async function startRawPipe(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const upstreamResponse = await fetch(`${upstream}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.concat(chunks),
    });
    response.writeHead(200, { "content-type": "text/event-stream" });
    const reader = upstreamResponse.body!.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      response.write(value);
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Latencies (ms) of every timestamp found in the text a reader received, in arrival order. */
export function latenciesOf(pieces: { text: string; at: number }[]): number[] {
  const latencies: number[] = [];
  for (const piece of pieces) {
    for (const stamp of piece.text.split("|")) if (stamp) latencies.push(piece.at - Number(stamp));
  }
  return latencies;
}

/** App settings with the timestamp agent at `url` as its one (default) agent, free of charge. */
export function timestampAgentEnv(url: string): Record<string, string> {
  const agent = {
    name: "bench",
    transport: "chat-completions",
    url: `${url}/v1`,
    token: "bench",
    model: "bench",
  };
  return { AGENTS: JSON.stringify([{ ...agent, price: { input: 0, output: 0 } }]), DEFAULT_AGENT: "bench" };
}
