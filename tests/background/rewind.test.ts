import type { ChildProcess } from "node:child_process";
import { WorkflowChatTransport } from "@workflow/ai";
import type { UIMessageChunk } from "ai";
import { EventSourceParserStream } from "eventsource-parser/stream";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../dev/net.ts";
import { stopService } from "../../dev/stack.ts";
import { api, readSse, type SseEvent, signIn, textOfDeltas } from "../support/api.ts";
import { startNextServer, startTestStack, type TestStack } from "../support/stack.ts";
import {
  assemble,
  authedFetch,
  iterate,
  newChatId,
  newTurn,
  textOf,
  userMessage,
} from "../support/ui-stream.ts";

// A live reader is legitimately ahead of the durable log by up to one checkpoint interval. Long
// intervals (and a lease long enough that the heartbeat does not flush at once) hold that window open.
const ENV = { CHECKPOINT_MS: "20000", LEASE_SECONDS: "6", LIVE_BUDGET_SECONDS: "600" };

let stack: TestStack;
let sql: postgres.Sql;
let token: string;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ env: ENV });
  await stack.startWorker();
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  token = await signIn(stack.supabaseUrl, "alice@example.com");
});
afterAll(async () => {
  for (const server of servers) await stopService(server);
  await sql?.end();
  await stack?.close();
});

async function durableOffset(sessionId: string): Promise<number> {
  const [row] = await sql<
    { durable_offset: number }[]
  >`select durable_offset from sessions where id = ${sessionId}`;
  return Number(row?.durable_offset ?? 0);
}

/**
 * Reads the live answer until the reader holds `ahead` bytes that are not durable yet, then kills
 * the web server that runs the live runner (SIGKILL to its process group). Returns what was read.
 */
async function readLiveThenKill(
  response: Response,
  server: ChildProcess,
  ahead: number,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  let sessionId = "";
  let held = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) throw new Error("the live answer ended before the kill");
    events.push({ event: value.event ?? "message", data: value.data, id: value.id });
    if (value.event === "session") sessionId = JSON.parse(value.data).sessionId;
    if (value.event !== "delta") continue;
    held += Buffer.byteLength(JSON.parse(value.data).text);
    const durable = await durableOffset(sessionId);
    if (durable > 0 && held - durable >= ahead) break;
  }
  process.kill(-server.pid!, "SIGKILL");
  await reader.cancel().catch(() => {});
  return events;
}

describe("a resumed reader never splices bytes of a dead producer with its continuation", () => {
  for (const agent of ["sim-openclaw", "sim-chat", "sim-anthropic"]) {
    test(`${agent}: the web server dies between a delta and its checkpoint; the reader resumes with its last id and ends with exactly the final log`, async () => {
      // A web server of its own, killed mid-answer; the stack's server and worker carry on.
      const port = await freePort();
      const doomed = await startNextServer(port, { ...stack.env, APP_URL: `http://127.0.0.1:${port}` });
      servers.push(doomed);
      const live = await api(`http://127.0.0.1:${port}`, token).chat({
        message: `#sim tokens=1500 rate=60 seed=rewind-${agent}`,
        agent,
        mode: "live",
      });
      expect(live.status).toBe(200);
      const seen = await readLiveThenKill(live, doomed, 120);
      const sessionId = JSON.parse(seen[0]!.data).sessionId as string;
      const liveText = textOfDeltas(seen);
      const durableAtDeath = await durableOffset(sessionId);
      expect(Buffer.byteLength(liveText)).toBeGreaterThan(durableAtDeath);

      // The reader resumes with the id of the last delta it read, on a server that is alive.
      const lastId = seen.filter((event) => event.event === "delta").at(-1)!.id!;
      const resumed = await readSse(
        await api(stack.appUrl, token).stream(sessionId, "", { headers: { "last-event-id": lastId } }),
      );
      expect(resumed.at(-1)?.event, JSON.stringify(resumed.at(-1))).toBe("done");
      const rewind = resumed.find((event) => event.event === "rewind");
      expect(rewind, "a rewind before the replay").toBeDefined();
      const { offset: rewindTo } = JSON.parse(rewind!.data) as { offset: number };
      expect(rewindTo).toBeLessThanOrEqual(durableAtDeath);

      const snapshot = await (await api(stack.appUrl, token).snapshot(sessionId)).json();
      expect(snapshot.status).toBe("completed");
      expect(snapshot.seams).toContain(durableAtDeath);
      // The continuation wrote other bytes than the dead runner had streamed past its checkpoint.
      expect(snapshot.output.startsWith(liveText)).toBe(false);
      expect(textOfDeltas([...seen, ...resumed])).toBe(snapshot.output);
    });
  }
});

describe("an AI SDK client holding a dead live producer's undurable chunks (issue 18: reset-step)", () => {
  for (const agent of ["sim-openclaw", "sim-chat"]) {
    test(`${agent}: WorkflowChatTransport reconnects by index after the web server dies and ends with exactly the final log`, async () => {
      const port = await freePort();
      const doomed = await startNextServer(port, { ...stack.env, APP_URL: `http://127.0.0.1:${port}` });
      servers.push(doomed);
      const doomedUrl = `http://127.0.0.1:${port}`;
      // The answer starts on the doomed server; the reconnect (GET …/stream?startIndex=N) reaches a live one.
      const reconnects: string[] = [];
      const routed: typeof fetch = (input, init = {}) => {
        let url = String(input);
        if (init.method !== "POST") {
          url = url.replace(doomedUrl, stack.appUrl);
          reconnects.push(url);
        }
        return authedFetch(token)(url, init);
      };
      const transport = new WorkflowChatTransport({
        api: `${doomedUrl}/api/chat`,
        fetch: routed,
        prepareSendMessagesRequest: ({ messages }) => ({ body: { messages, agent, mode: "live" } }),
      });
      const turn = newTurn(newChatId(), [userMessage(`#sim tokens=1500 rate=60 seed=ui-rewind-${agent}`)]);
      const chunks: UIMessageChunk[] = [];
      let sessionId = "";
      let held = 0;
      let durableAtDeath = -1;
      for await (const chunk of iterate(await transport.sendMessages(turn))) {
        chunks.push(chunk);
        if (chunk.type === "start") sessionId = chunk.messageId!;
        if (durableAtDeath >= 0 || chunk.type !== "text-delta") continue;
        held += Buffer.byteLength(chunk.delta);
        const durable = await durableOffset(sessionId);
        if (durable > 0 && held - durable >= 120) {
          durableAtDeath = durable;
          process.kill(-doomed.pid!, "SIGKILL");
        }
      }
      expect(durableAtDeath, "the client held undurable text when the server died").toBeGreaterThan(0);
      expect(
        reconnects.some((url) => /startIndex=[1-9]/.test(url)),
        reconnects.join(" "),
      ).toBe(true);
      const snapshot = await (await api(stack.appUrl, token).snapshot(sessionId)).json();
      expect(snapshot.status).toBe("completed");
      expect(snapshot.seams).toContain(durableAtDeath);
      expect(chunks.some((chunk) => chunk.type === "reset-step")).toBe(true);
      expect(chunks.at(-1)?.type).toBe("finish");
      const stream = new ReadableStream<UIMessageChunk>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
      expect(textOf(await assemble(stream))).toBe(snapshot.output);
    });
  }
});
