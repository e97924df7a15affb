// Issue 18, point 2: tool calls as dynamic tool chunks and progress/runner/credits as data parts,
// numbered the same on every read; a 429 through the AI SDK; following a detached session over Realtime.
import type { SupabaseClient } from "@supabase/supabase-js";
import { DefaultChatTransport, type UIMessage, type UIMessageChunk } from "ai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TOOL_NAMES } from "../../dev/agent-sim/generation.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { OvertimeChatTransport } from "../../lib/ui-stream/overtime-chat-transport.ts";
import { closeClient, signedIn } from "../realtime/fixture.ts";
import {
  assemble,
  authedFetch,
  fetchCuttingPost,
  newChatId,
  readChunks,
  startUiStack,
  textOf,
  type UiStack,
  userMessage,
} from "../support/ui-stream.ts";

let ui: UiStack;
beforeAll(async () => {
  ui = await startUiStack({ CHAT_REQUESTS_PER_MINUTE: "1000", MAX_LIVE_SESSIONS_PER_USER: "2" });
});
afterAll(() => ui?.close());

const agents = ["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"] as const;

function post(body: unknown, token = ui.aliceToken): Promise<Response> {
  return fetch(ui.api, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function streamOf(chunks: UIMessageChunk[]): ReadableStream<UIMessageChunk> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

function toolsOf(message: UIMessage | undefined) {
  return (message?.parts ?? []).filter((part) => part.type === "dynamic-tool");
}

async function readFrom(sessionId: string, startIndex: number): Promise<UIMessageChunk[]> {
  const url = `${ui.api}/${sessionId}/stream?startIndex=${startIndex}`;
  return readChunks(await fetch(url, { headers: { authorization: `Bearer ${ui.aliceToken}` } }));
}

describe.each(agents)("tool chunks against %s", (agent) => {
  test("stages=3: dynamic-tool parts and the exact text, the same message after a resume at random indices", async () => {
    const seed = `ui-tools-${agent}`;
    const truth = simulatedText(seed, 300);
    const response = await post({
      id: newChatId(),
      messages: [userMessage(`#sim tokens=300 rate=0 seed=${seed} stages=3\nUse tools`)],
      agent,
    });
    const sessionId = response.headers.get("x-workflow-run-id")!;
    const live = await readChunks(response);
    const message = await assemble(streamOf(live));
    expect(textOf(message)).toBe(truth);
    const tools = toolsOf(message);
    expect(tools.map((tool) => tool.toolName)).toEqual(TOOL_NAMES.slice(0, 3));
    expect(tools.map((tool) => tool.state)).toEqual(Array(3).fill("output-available"));
    // Run by the agent: `useChat`'s onToolCall must not take them for the browser's to run.
    expect(tools.map((tool) => tool.providerExecuted)).toEqual([true, true, true]);
    // Text, then a tool call, between the stretches of text: in the order they happened.
    const kinds = message!.parts.map((part) => part.type).filter((type) => type !== "step-start");
    expect(kinds.filter((type) => type === "text" || type === "dynamic-tool")).toEqual([
      "text",
      "dynamic-tool",
      "text",
      "dynamic-tool",
      "text",
      "dynamic-tool",
      "text",
    ]);
    expect(message!.parts).toContainEqual(
      expect.objectContaining({ type: "data-runner", data: { runner: "live", epoch: 1 } }),
    );
    expect(live.some((chunk) => chunk.type === "data-progress" && chunk.transient)).toBe(true);
    expect(live.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });

    expect(await readFrom(sessionId, 0)).toEqual(live);
    const toolStart = live.findIndex((chunk) => chunk.type === "tool-input-start");
    const indices = [toolStart, toolStart + 1, toolStart + 2];
    for (let i = 0; i < 4; i++) indices.push(1 + Math.floor(Math.random() * (live.length - 1)));
    for (const index of indices) {
      const rest = await readFrom(sessionId, index);
      expect(rest, `from ${index}`).toEqual(live.slice(index));
      expect(await assemble(streamOf([...live.slice(0, index), ...rest])), `from ${index}`).toEqual(message);
    }
  });

  test("OvertimeChatTransport cut mid tool calls resumes to the same message", async () => {
    const seed = `ui-tools-cut-${agent}`;
    const text = `#sim tokens=200 rate=0 seed=${seed} stages=2\nCut`;
    const cut = 3 + Math.floor(Math.random() * 30);
    const transport = new OvertimeChatTransport({
      api: ui.api,
      fetch: fetchCuttingPost(authedFetch(ui.aliceToken), cut),
      body: { agent },
    });
    const message = await assemble(
      await transport.sendMessages({
        chatId: newChatId(),
        messages: [userMessage(text)],
        trigger: "submit-message",
        messageId: undefined,
        abortSignal: undefined,
      }),
    );
    expect(textOf(message), `cut at ${cut}`).toBe(simulatedText(seed, 200));
    expect(toolsOf(message).map((tool) => tool.toolName)).toEqual(TOOL_NAMES.slice(0, 2));
    const whole = await assemble(streamOf(await readFrom(message!.id, 0)));
    expect(message).toEqual(whole);
  });
});

describe("limits and following", () => {
  test("a 429 through the AI SDK's body: DefaultChatTransport rejects with the status and a sentence", async () => {
    const slow = (n: number) =>
      post({ id: newChatId(), messages: [userMessage(`#sim tokens=2000 rate=20\nSlow ${n}`)] }, ui.bobToken);
    const running = [await slow(1), await slow(2)];
    expect(running.map((response) => response.status)).toEqual([200, 200]);
    const transport = new DefaultChatTransport({ api: ui.api, fetch: authedFetch(ui.bobToken) });
    const refused = transport.sendMessages({
      chatId: newChatId(),
      messages: [userMessage("#sim tokens=5 rate=0\nOne too many")],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    await expect(refused).rejects.toMatchObject({ statusCode: 429 });
    await expect(refused).rejects.toThrow(/\w+ \w+ \w+/);
    for (const response of running) {
      const sessionId = response.headers.get("x-workflow-run-id")!;
      const stop = await fetch(`${ui.api}/${sessionId}/stop`, {
        method: "POST",
        headers: { authorization: `Bearer ${ui.bobToken}` },
      });
      expect(stop.status).toBe(200);
      const chunks = await readChunks(response);
      expect(chunks.slice(-2).map((chunk) => chunk.type)).toEqual(["abort", "finish"]);
    }
  });

  test("maxCredits reached: finish with finishReason length, no error chunk, the credits as a data part", async () => {
    const response = await post({
      id: newChatId(),
      messages: [userMessage("#sim tokens=20000 rate=0 seed=ui-capped\nCapped")],
      agent: "sim-anthropic",
      maxCredits: 1,
    });
    expect(response.status).toBe(200);
    const chunks = await readChunks(response);
    expect(chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "length" });
    expect(chunks.filter((chunk) => chunk.type === "error")).toEqual([]);
    const message = await assemble(streamOf(chunks));
    expect(textOf(message).length).toBeGreaterThan(100);
    expect(message!.parts).toContainEqual(expect.objectContaining({ type: "data-credits", id: "credits" }));
    expect(await readFrom(message!.id, 0)).toEqual(chunks);
  });

  test("OvertimeChatTransport follows a detached session over Supabase Realtime, holding no request", async () => {
    await ui.stack.startWorker();
    const seed = "ui-realtime-follow";
    const chatId = newChatId();
    const started = await post({
      id: chatId,
      messages: [userMessage(`#sim tokens=300 rate=60 seed=${seed} stages=1\nIn the background`)],
      mode: "background",
    });
    expect(started.status).toBe(200);
    await started.body?.cancel();
    const client: SupabaseClient = await signedIn(ui.stack.supabaseUrl, "alice@example.com");
    const { data } = await client.auth.getSession();
    await client.realtime.setAuth(data.session!.access_token);
    const urls: string[] = [];
    let broadcasts = 0;
    const base = authedFetch(ui.aliceToken);
    const transport = new OvertimeChatTransport({
      api: ui.api,
      fetch: (input, init) => {
        urls.push(String(input));
        return base(input, init);
      },
      follow: (sessionId, onChange) => {
        const channel = client.channel(`session:${sessionId}`, { config: { private: true } });
        channel.on("broadcast", { event: "*" }, () => {
          broadcasts += 1;
          onChange();
        });
        channel.subscribe();
        return () => void client.removeChannel(channel);
      },
    });
    try {
      const stream = await transport.reconnectToStream({ chatId });
      const message = await assemble(stream!);
      expect(textOf(message)).toBe(simulatedText(seed, 300));
      expect(toolsOf(message)).toHaveLength(1);
      // Every read was a short catch-up (`follow=0`); Realtime said when to read again. (The other
      // requests are the session's watch, which the transport posts while it follows.)
      const reads = urls.filter((url) => !url.endsWith("/watch"));
      expect(reads.length).toBeGreaterThan(2);
      for (const url of reads) expect(url).toContain("follow=0");
      expect(broadcasts).toBeGreaterThan(0);
    } finally {
      await closeClient(client);
    }
  });
});
