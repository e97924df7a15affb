import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentEventsFromBytes } from "../../lib/agent/agent-event-stream.ts";
import type { FrameMapper } from "../../lib/agent/frame-mapper.ts";
import type { AgentEvent } from "../../lib/agent/index.ts";
import { AnthropicFrameMapper } from "../../lib/agent/transports/anthropic-events.ts";
import { ChatCompletionsFrameMapper } from "../../lib/agent/transports/chat-completions-events.ts";
import { ResponsesFrameMapper } from "../../lib/agent/transports/responses-events.ts";
import { chunksAt, collect, readFixture, withLineEndings } from "./support/event-collection.ts";

const cursor = (sequenceNumber: number) => ({ responseId: "resp_68b0e1c2d3", sequenceNumber });

/** What the two Anthropic transcripts with a tool call come to (the invented events are skipped). */
const ANTHROPIC_HELLO: AgentEvent[] = [
  { type: "text", text: "Hello" },
  { type: "text", text: ", naïve café — 北京 🐙" },
  { type: "progress", stage: "tool: read_file" },
  { type: "usage", inputTokens: 25, outputTokens: 15 },
  { type: "done", reason: "completed" },
];

/**
 * Transcripts in the exact frame format of the real services (../shared/reference), each with the
 * events it must produce.
 */
const transcripts: { name: string; file: string; mapper: () => FrameMapper; expected: AgentEvent[] }[] = [
  {
    name: "OpenClaw /v1/responses",
    file: "openclaw-responses.sse",
    mapper: () => new ResponsesFrameMapper({ trackCursor: false }),
    expected: [
      { type: "text", text: "Résumé: " },
      { type: "text", text: "東京 🚀 done" },
      { type: "progress", stage: "tool: web_search" },
      { type: "usage", inputTokens: 0, outputTokens: 0 },
      { type: "done", reason: "completed" },
    ],
  },
  {
    name: "OpenClaw response.failed",
    file: "openclaw-failed.sse",
    mapper: () => new ResponsesFrameMapper({ trackCursor: false }),
    expected: [
      { type: "text", text: "Zwischenstand: " },
      { type: "error", code: "api_error", message: "upstream model error", retryable: true },
    ],
  },
  {
    name: "OpenAI background responses",
    file: "openai-background-responses.sse",
    mapper: () => new ResponsesFrameMapper({ trackCursor: true }),
    expected: [
      { type: "progress", stage: "tool: web_search", cursor: cursor(5) },
      { type: "text", text: "Hel", cursor: cursor(12) },
      { type: "text", text: "lo, wörld — Zürich ☀️ 22°C", cursor: cursor(13) },
      { type: "usage", inputTokens: 25, outputTokens: 412, cursor: cursor(17) },
      { type: "done", reason: "completed", cursor: cursor(17) },
    ],
  },
  {
    name: "OpenAI chat completions (CRLF, keep-alive comments)",
    file: "openai-chat-completions.sse",
    mapper: () => new ChatCompletionsFrameMapper(),
    expected: [
      { type: "text", text: "Hel" },
      { type: "text", text: "lo — こんにちは 👋🏽" },
      { type: "usage", inputTokens: 10, outputTokens: 5 },
      { type: "done", reason: "completed" },
    ],
  },
  {
    name: "Anthropic messages (pings, tool_use block)",
    file: "anthropic-messages.sse",
    mapper: () => new AnthropicFrameMapper(),
    expected: ANTHROPIC_HELLO,
  },
  {
    // Anthropic's versioning policy: clients must skip event types they do not know.
    name: "Anthropic messages with invented event types (skipped)",
    file: "anthropic-messages-invented-events.sse",
    mapper: () => new AnthropicFrameMapper(),
    expected: ANTHROPIC_HELLO,
  },
  {
    name: "Anthropic overloaded_error mid-stream",
    file: "anthropic-overloaded.sse",
    mapper: () => new AnthropicFrameMapper(),
    expected: [
      { type: "text", text: "Partial ü" },
      { type: "error", code: "overloaded_error", message: "Overloaded", retryable: true },
    ],
  },
];

describe.each(transcripts)("transcript: $name", ({ file, mapper, expected }) => {
  const original = readFixture(file);

  it.each(["\n", "\r\n", "\r"] as const)(
    "produces the expected events with %j line endings",
    async (ending) => {
      const bytes = withLineEndings(original, ending);
      expect(await collect(agentEventsFromBytes(chunksAt(bytes, []), mapper()))).toEqual(expected);
    },
  );

  it("produces the same events when split at every single byte position", async () => {
    for (let cut = 1; cut < original.length; cut++) {
      expect(await collect(agentEventsFromBytes(chunksAt(original, [cut]), mapper()))).toEqual(expected);
    }
  });

  it("produces the same events one byte per chunk", async () => {
    const everyByte = Array.from({ length: original.length }, (_, index) => index);
    expect(await collect(agentEventsFromBytes(chunksAt(original, everyByte), mapper()))).toEqual(expected);
  });

  it("produces the same events for random splittings (CRLF included)", async () => {
    const crlf = withLineEndings(original, "\r\n");
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.nat({ max: crlf.length }), { maxLength: 40 }),
        async (useCrlf, cuts) => {
          const bytes = useCrlf ? crlf : original;
          const events = await collect(agentEventsFromBytes(chunksAt(bytes, cuts), mapper()));
          expect(events).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("stream endings", () => {
  it("reports a stream that ends without its terminal event as retryable truncation, keeping the cursor", async () => {
    const full = readFixture("openai-background-responses.sse").toString("utf8");
    const cut = Buffer.from(full.slice(0, full.indexOf("event: response.output_text.done")), "utf8");
    const events = await collect(
      agentEventsFromBytes(chunksAt(cut, []), new ResponsesFrameMapper({ trackCursor: true })),
    );
    expect(events.at(-1)).toMatchObject({
      type: "error",
      code: "stream_truncated",
      retryable: true,
      cursor: cursor(13),
    });
  });

  it("reports an unterminated last frame as truncation, not as an event", async () => {
    const bytes = Buffer.from(
      'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: [DONE]',
      "utf8",
    );
    const events = await collect(agentEventsFromBytes(chunksAt(bytes, []), new ChatCompletionsFrameMapper()));
    expect(events).toEqual([
      { type: "text", text: "a" },
      expect.objectContaining({ type: "error", code: "stream_truncated" }),
    ]);
  });

  it("maps response.incomplete for max_output_tokens to done max_tokens", async () => {
    const frame = `event: response.incomplete\ndata: ${JSON.stringify({
      type: "response.incomplete",
      response: { id: "r", status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
    })}\n\n`;
    const events = await collect(
      agentEventsFromBytes(
        chunksAt(Buffer.from(frame), []),
        new ResponsesFrameMapper({ trackCursor: false }),
      ),
    );
    expect(events).toEqual([{ type: "done", reason: "max_tokens" }]);
  });

  it("maps chat finish_reason length and Anthropic stop_reason max_tokens to done max_tokens", async () => {
    const chat = 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\ndata: [DONE]\n\n';
    expect(
      await collect(agentEventsFromBytes(chunksAt(Buffer.from(chat), []), new ChatCompletionsFrameMapper())),
    ).toEqual([{ type: "done", reason: "max_tokens" }]);
    const anthropic =
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":7}}\n\n' +
      'event: message_stop\ndata: {"type":"message_stop"}\n\n';
    expect(
      await collect(agentEventsFromBytes(chunksAt(Buffer.from(anthropic), []), new AnthropicFrameMapper())),
    ).toEqual([
      { type: "usage", inputTokens: 0, outputTokens: 7 },
      { type: "done", reason: "max_tokens" },
    ]);
  });

  it("turns a malformed Anthropic frame into an error event and stops there; an unknown event type is skipped", async () => {
    const malformed =
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_de\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
    const unknown =
      'event: thinking_v9\ndata: {"type":"thinking_v9"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
    expect(
      await collect(agentEventsFromBytes(chunksAt(Buffer.from(malformed), []), new AnthropicFrameMapper())),
    ).toEqual([expect.objectContaining({ type: "error", code: "malformed_frame", retryable: false })]);
    expect(
      await collect(agentEventsFromBytes(chunksAt(Buffer.from(unknown), []), new AnthropicFrameMapper())),
    ).toEqual([{ type: "done", reason: "completed" }]);
  });

  it("reports a broken byte stream as a retryable connection loss", async () => {
    async function* breaking(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n');
      throw new TypeError("terminated", { cause: new Error("other side closed") });
    }
    const events = await collect(agentEventsFromBytes(breaking(), new ChatCompletionsFrameMapper()));
    expect(events).toEqual([
      { type: "text", text: "x" },
      expect.objectContaining({ type: "error", code: "connection_lost", retryable: true }),
    ]);
  });
});
