import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { describe, expect, test } from "vitest";
import { assistantView } from "../../app/session-stream/assistant-message.ts";
import { noFacts, sessionView, withSessionState } from "../../app/session-stream/session-view.ts";

const META = { sessionId: "s-1", conversationId: "c-1", agent: "sim-chat", mode: "auto" };

/** The messages the AI SDK's own reader assembles after each chunk. */
async function assembled(chunks: UIMessageChunk[]): Promise<UIMessage[]> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const messages: UIMessage[] = [];
  for await (const message of readUIMessageStream({ stream })) messages.push(structuredClone(message));
  return messages;
}

const stage = (id: string, name: string): UIMessageChunk[] => [
  { type: "tool-input-start", toolCallId: id, toolName: name, dynamic: true },
  { type: "tool-input-available", toolCallId: id, toolName: name, input: {}, dynamic: true },
];

describe("the page's view of the AI SDK's assistant message", () => {
  test("stages arrive as dynamic tools: each is a step with its name, running until its output, then done", async () => {
    const messages = await assembled([
      { type: "start", messageId: "s-1", messageMetadata: META },
      { type: "start-step" },
      { type: "data-runner", id: "runner", data: { runner: "worker", epoch: 2 } },
      ...stage("stage-1", "searching"),
      { type: "text-start", id: "text-1" },
      { type: "text-delta", id: "text-1", delta: "Hello " },
      { type: "tool-output-available", toolCallId: "stage-1", output: null, dynamic: true },
      ...stage("stage-2", "writing"),
      { type: "text-delta", id: "text-1", delta: "world" },
    ]);
    const view = assistantView(messages.at(-1));
    expect(view.text).toBe("Hello world");
    expect(view.steps).toEqual([
      { id: "stage-1", name: "searching", done: true, failed: false },
      { id: "stage-2", name: "writing", done: false, failed: false },
    ]);
    expect(view.metadata).toMatchObject(META);
    expect(view.runner).toBe("worker");
  });

  test("the text of every step, in order, is the answer; `finish` says how it ended, with usage", async () => {
    const usage = { inputTokens: 3, outputTokens: 5 };
    const messages = await assembled([
      { type: "start", messageId: "s-1", messageMetadata: META },
      { type: "start-step" },
      { type: "text-start", id: "text-1" },
      { type: "text-delta", id: "text-1", delta: "cut at the " },
      { type: "text-end", id: "text-1" },
      { type: "finish-step" },
      { type: "data-handoff", data: { offset: 11, epoch: 2 } },
      { type: "start-step" },
      { type: "text-start", id: "text-2" },
      { type: "text-delta", id: "text-2", delta: "budget" },
      { type: "text-end", id: "text-2" },
      { type: "finish-step" },
      {
        type: "finish",
        finishReason: "stop",
        messageMetadata: { status: "completed", usage, costUsd: 0.01 },
      },
    ]);
    const assistant = assistantView(messages.at(-1));
    expect(assistant.text).toBe("cut at the budget");
    const chat = { status: "ready" as const, error: null, prompt: "hi", assistant, opened: null };
    // A running status from a `data-session` part never hides the stream's own end.
    const view = sessionView(chat, { ...noFacts, status: "background", runner: "worker", seams: [11] });
    expect(view).toMatchObject({ phase: "finished", status: "completed", usage, costUsd: 0.01, seams: [11] });
  });

  test("before `finish`, a terminal status from the server waits: the page shows it only with the whole text", () => {
    const assistant = {
      metadata: { ...META, mode: "auto" as const },
      runner: null,
      text: "partial",
      steps: [],
    };
    const chat = { status: "streaming" as const, error: null, prompt: "hi", assistant, opened: null };
    const live = withSessionState(noFacts, { status: "live", runner: "live", seams: [] });
    const ended = withSessionState(live, { status: "completed", runner: "live", seams: [] });
    expect(sessionView(chat, ended)).toMatchObject({ phase: "running", status: "live", runner: "live" });
  });
});
