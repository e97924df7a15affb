import { nowSeconds, providerId } from "./http-io.ts";
import type { SimFrame } from "./sse-writer.ts";
import type { StreamEncoder } from "./stream-play.ts";

/**
 * `chat.completion.chunk` frames: a role chunk, content deltas, tool-call deltas for stages, a
 * chunk with the finish reason, the usage chunk (only with `stream_options.include_usage`, and
 * always with empty `choices`), then `[DONE]`.
 */
export class ChatCompletionsEncoder implements StreamEncoder {
  readonly #id = providerId("chatcmpl", "-");
  readonly #created = nowSeconds();
  #text = "";
  #outputTokens = 0;
  #toolCalls: { id: string; type: "function"; function: { name: string; arguments: string } }[] = [];
  #finishReason: string | null = null;

  constructor(
    readonly model: string,
    readonly inputTokens: number,
    readonly includeUsage: boolean,
  ) {}

  start(): SimFrame[] {
    return [this.#chunk({ role: "assistant", content: "" })];
  }

  text(delta: string, tokens: number): SimFrame[] {
    this.#text += delta;
    this.#outputTokens += tokens;
    return [this.#chunk({ content: delta })];
  }

  stage(index: number, toolName: string): SimFrame[] {
    const call = {
      id: providerId("call"),
      type: "function" as const,
      function: { name: toolName, arguments: JSON.stringify({ query: `stage ${index + 1}` }) },
    };
    this.#toolCalls.push(call);
    return [
      this.#chunk({
        tool_calls: [{ index, id: call.id, type: "function", function: { name: toolName, arguments: "" } }],
      }),
      this.#chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] }),
    ];
  }

  finish(truncated: boolean): SimFrame[] {
    this.#finishReason = truncated ? "length" : "stop";
    const frames = [this.#chunk({}, this.#finishReason)];
    if (this.includeUsage) {
      frames.push({ data: JSON.stringify({ ...this.#envelope(), choices: [], usage: this.#usage() }) });
    }
    frames.push({ data: "[DONE]" });
    return frames;
  }

  failed(message: string): SimFrame[] {
    return [
      {
        data: JSON.stringify({ error: { message, type: "server_error", param: null, code: "server_error" } }),
      },
    ];
  }

  malformed(): string {
    return `data: {"id":"${this.#id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"unterminated\n\n`;
  }

  /** The non-streamed `chat.completion` object. */
  completion(): Record<string, unknown> {
    return {
      ...this.#envelope(),
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: this.#text,
            refusal: null,
            ...(this.#toolCalls.length > 0 ? { tool_calls: this.#toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: this.#finishReason,
        },
      ],
      usage: this.#usage(),
    };
  }

  #usage(): Record<string, number> {
    return {
      prompt_tokens: this.inputTokens,
      completion_tokens: this.#outputTokens,
      total_tokens: this.inputTokens + this.#outputTokens,
    };
  }

  #envelope() {
    return {
      id: this.#id,
      object: "chat.completion.chunk",
      created: this.#created,
      model: this.model,
      system_fingerprint: "fp_agent_sim",
    };
  }

  #chunk(delta: Record<string, unknown>, finishReason: string | null = null): SimFrame {
    const choices = [{ index: 0, delta, logprobs: null, finish_reason: finishReason }];
    return {
      data: JSON.stringify({ ...this.#envelope(), choices, ...(this.includeUsage ? { usage: null } : {}) }),
    };
  }
}
