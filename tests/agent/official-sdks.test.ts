import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentSimulator, startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";

/**
 * The simulator checked with the official client libraries: each accumulates exactly the text
 * the same SDK gets from a non-streamed call, which is the deterministic truth.
 */
let simulator: AgentSimulator;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  simulator = await startAgentSimulator();
  openai = new OpenAI({ apiKey: "sim-dev-token", baseURL: `${simulator.url}/openai/v1`, maxRetries: 0 });
  anthropic = new Anthropic({
    apiKey: "sim-dev-token",
    baseURL: `${simulator.url}/anthropic`,
    maxRetries: 0,
  });
});
afterAll(async () => {
  await simulator.close();
});

const question = (directives: string) => `#sim ${directives}\nWrite something long.`;

describe("openai SDK against the simulator", () => {
  it("responses: streaming accumulates exactly the non-streamed output_text", async () => {
    const input = question("tokens=120 rate=0 seed=sdk-responses stages=2");
    const whole = await openai.responses.create({ model: "gpt-5-mini", input });
    expect(whole.output_text).toBe(simulatedText("sdk-responses", 120));

    const stream = openai.responses.stream({ model: "gpt-5-mini", input });
    let streamed = "";
    stream.on("response.output_text.delta", (event) => {
      streamed += event.delta;
    });
    const final = await stream.finalResponse();
    expect(streamed).toBe(whole.output_text);
    expect(final.output_text).toBe(whole.output_text);
    expect(final.output.filter((item) => item.type === "function_call").map((item) => item.name)).toEqual([
      "web_search",
      "read_file",
    ]);
    expect(final.usage?.output_tokens).toBe(120);
  });

  it("responses background: retrieve-and-resume with starting_after completes the exact text", async () => {
    const input = question("tokens=200 rate=400 seed=sdk-background");
    const truth = simulatedText("sdk-background", 200);
    const created = await openai.responses.create({
      model: "gpt-5-mini",
      input,
      background: true,
      stream: true,
    });
    let text = "";
    let responseId = "";
    let lastSequence = -1;
    for await (const event of created) {
      if (event.type === "response.created") responseId = event.response.id;
      if (event.type === "response.output_text.delta") text += event.delta;
      lastSequence = event.sequence_number;
      if (text.length > 0 && lastSequence >= 12) break; // our connection drops here
    }
    expect(responseId).toMatch(/^resp_/);

    const resumed = await openai.responses.retrieve(responseId, {
      stream: true,
      starting_after: lastSequence,
    });
    const sequences: number[] = [];
    for await (const event of resumed) {
      sequences.push(event.sequence_number);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(sequences[0]).toBe(lastSequence + 1);
    expect(text).toBe(truth);

    const retrieved = await openai.responses.retrieve(responseId);
    expect(retrieved.status).toBe("completed");
    expect(retrieved.output_text).toBe(truth);
  });

  it("responses background: the SDK's own stream-by-id helper replays to the same final text", async () => {
    const created = await openai.responses.create({
      model: "gpt-5-mini",
      input: question("tokens=60 rate=0 seed=sdk-by-id stages=1"),
      background: true,
      stream: true,
    });
    let responseId = "";
    for await (const event of created) {
      if (event.type === "response.created") responseId = event.response.id;
      if (event.sequence_number >= 3) break;
    }
    const stream = openai.responses.stream({ response_id: responseId, starting_after: 3 });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(simulatedText("sdk-by-id", 60));
  });

  it("responses background: a response created without stream=true cannot be streamed later", async () => {
    const created = await openai.responses.create({
      model: "gpt-5-mini",
      input: question("tokens=10 rate=0 seed=sdk-no-stream"),
      background: true,
    });
    expect(created.status).toBe("queued");
    await expect(openai.responses.retrieve(created.id, { stream: true })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it("responses background: cancel returns the cancelled response and is idempotent", async () => {
    const created = await openai.responses.create({
      model: "gpt-5-mini",
      input: question("tokens=400 rate=20 seed=sdk-cancel"),
      background: true,
    });
    const cancelled = await openai.responses.cancel(created.id);
    expect(cancelled.status).toBe("cancelled");
    expect((await openai.responses.cancel(created.id)).status).toBe("cancelled");
  });

  it("responses against the OpenClaw gateway path: streaming accumulates the non-streamed text", async () => {
    const gateway = new OpenAI({
      apiKey: "sim-dev-token",
      baseURL: `${simulator.url}/openclaw/v1`,
      maxRetries: 0,
    });
    const input = question("tokens=80 rate=0 seed=sdk-openclaw stages=1");
    const whole = await gateway.responses.create({ model: "openclaw/default", input });
    expect(whole.output_text).toBe(simulatedText("sdk-openclaw", 80));
    const final = await gateway.responses.stream({ model: "openclaw/default", input }).finalResponse();
    expect(final.output_text).toBe(whole.output_text);
  });

  it("chat completions: streaming accumulates exactly the non-streamed content", async () => {
    const messages = [{ role: "user" as const, content: question("tokens=150 rate=0 seed=sdk-chat") }];
    const whole = await openai.chat.completions.create({ model: "gpt-4.1-mini", messages });
    expect(whole.choices[0]?.message.content).toBe(simulatedText("sdk-chat", 150));

    const stream = openai.chat.completions.stream({
      model: "gpt-4.1-mini",
      messages,
      stream_options: { include_usage: true },
    });
    let streamed = "";
    stream.on("content.delta", ({ delta }) => {
      streamed += delta;
    });
    const final = await stream.finalChatCompletion();
    expect(streamed).toBe(whole.choices[0]?.message.content);
    expect(final.choices[0]?.message.content).toBe(streamed);
    expect(final.usage?.completion_tokens).toBe(150);
  });

  it("maps simulator faults to the SDK's typed errors", async () => {
    const input = question("fault=http429");
    await expect(openai.responses.create({ model: "m", input })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    const wrongKey = new OpenAI({ apiKey: "nope", baseURL: `${simulator.url}/openai/v1`, maxRetries: 0 });
    await expect(wrongKey.responses.create({ model: "m", input: "hi" })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });
});

describe("@anthropic-ai/sdk against the simulator", () => {
  it("messages stream accumulates exactly the non-streamed text", async () => {
    const messages = [{ role: "user" as const, content: question("tokens=140 rate=0 seed=sdk-anthropic") }];
    const whole = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 1024, messages });
    const wholeText = whole.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    expect(wholeText).toBe(simulatedText("sdk-anthropic", 140));

    const stream = anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 1024, messages });
    let streamed = "";
    stream.on("text", (delta) => {
      streamed += delta;
    });
    const final = await stream.finalMessage();
    expect(streamed).toBe(wholeText);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(140);
  });

  it("messages stream with tool stages keeps the text and exposes the tool_use blocks", async () => {
    const messages = [
      { role: "user" as const, content: question("tokens=60 rate=0 seed=sdk-tools stages=2") },
    ];
    const stream = anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 1024, messages });
    let streamed = "";
    stream.on("text", (delta) => {
      streamed += delta;
    });
    const final = await stream.finalMessage();
    expect(streamed).toBe(simulatedText("sdk-tools", 60));
    expect(final.content.filter((block) => block.type === "tool_use").map((block) => block.name)).toEqual([
      "web_search",
      "read_file",
    ]);
  });

  it("max_tokens cuts the text to a prefix and stops with max_tokens", async () => {
    const messages = [{ role: "user" as const, content: question("tokens=100 rate=0 seed=sdk-max") }];
    const final = await anthropic.messages
      .stream({ model: "claude-haiku-4-5", max_tokens: 30, messages })
      .finalMessage();
    expect(final.stop_reason).toBe("max_tokens");
    expect(final.content[0]?.type === "text" && final.content[0].text).toBe(simulatedText("sdk-max", 30));
  });

  it("a wrong key is the SDK's AuthenticationError", async () => {
    const wrongKey = new Anthropic({ apiKey: "nope", baseURL: `${simulator.url}/anthropic`, maxRetries: 0 });
    await expect(
      wrongKey.messages.create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });
});
