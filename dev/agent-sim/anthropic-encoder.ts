import { providerId } from "./http-io.ts";
import type { SimFrame } from "./sse-writer.ts";
import type { StreamEncoder } from "./stream-play.ts";

type ContentBlock =
  | { type: "text"; text: string; citations?: null }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/**
 * Anthropic Messages events: `message_start`, then per content block `content_block_start` /
 * `content_block_delta` / `content_block_stop` (a text block per stretch of text, a `tool_use`
 * block per stage), a `ping`, `message_delta` with the stop reason and cumulative usage, and
 * `message_stop`. A provider error is an `error` event.
 */
export class AnthropicEncoder implements StreamEncoder {
  readonly #id = providerId("msg");
  readonly #content: ContentBlock[] = [];
  #openText: { type: "text"; text: string } | undefined;
  #outputTokens = 0;
  #stopReason: string | null = null;

  readonly model: string;
  readonly inputTokens: number;

  constructor(model: string, inputTokens: number) {
    this.model = model;
    this.inputTokens = inputTokens;
  }

  start(): SimFrame[] {
    const message = { ...this.message(), content: [], stop_reason: null, usage: this.#usage(1) };
    return [this.#frame("message_start", { message }), this.#frame("ping", {})];
  }

  text(delta: string, tokens: number): SimFrame[] {
    this.#outputTokens += tokens;
    const frames: SimFrame[] = [];
    if (!this.#openText) {
      this.#openText = { type: "text", text: "" };
      this.#content.push(this.#openText);
      frames.push(
        this.#frame("content_block_start", {
          index: this.#content.length - 1,
          content_block: { type: "text", text: "" },
        }),
      );
    }
    this.#openText.text += delta;
    frames.push(
      this.#frame("content_block_delta", {
        index: this.#content.length - 1,
        delta: { type: "text_delta", text: delta },
      }),
    );
    return frames;
  }

  stage(index: number, toolName: string): SimFrame[] {
    const frames = this.#closeText();
    const input = { query: `stage ${index + 1}` };
    const block: ContentBlock = { type: "tool_use", id: providerId("toolu"), name: toolName, input };
    this.#content.push(block);
    const blockIndex = this.#content.length - 1;
    frames.push(
      this.#frame("content_block_start", { index: blockIndex, content_block: { ...block, input: {} } }),
    );
    frames.push(
      this.#frame("content_block_delta", {
        index: blockIndex,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(input) },
      }),
    );
    frames.push(this.#frame("content_block_stop", { index: blockIndex }));
    return frames;
  }

  finish(truncated: boolean): SimFrame[] {
    const frames = this.#closeText();
    this.#stopReason = truncated ? "max_tokens" : "end_turn";
    frames.push(
      this.#frame("message_delta", {
        delta: { stop_reason: this.#stopReason, stop_sequence: null },
        usage: { output_tokens: this.#outputTokens },
      }),
    );
    frames.push(this.#frame("message_stop", {}));
    return frames;
  }

  failed(message: string): SimFrame[] {
    return [this.#frame("error", { error: { type: "overloaded_error", message } })];
  }

  malformed(): string {
    return `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"unterminated\n\n`;
  }

  /** The Message object (also the non-streamed answer). */
  message(): Record<string, unknown> {
    return {
      id: this.#id,
      type: "message",
      role: "assistant",
      model: this.model,
      content: this.#content.map((block) => ({ ...block })),
      stop_reason: this.#stopReason,
      stop_sequence: null,
      usage: this.#usage(this.#outputTokens),
    };
  }

  #usage(outputTokens: number): Record<string, number> {
    return {
      input_tokens: this.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: outputTokens,
    };
  }

  #closeText(): SimFrame[] {
    if (!this.#openText) return [];
    this.#openText = undefined;
    return [this.#frame("content_block_stop", { index: this.#content.length - 1 })];
  }

  #frame(type: string, fields: Record<string, unknown>): SimFrame {
    return { event: type, data: JSON.stringify({ type, ...fields }) };
  }
}
