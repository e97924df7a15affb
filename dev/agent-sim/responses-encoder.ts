import { nowSeconds, providerId } from "./http-io.ts";
import type { SimFrame } from "./sse-writer.ts";
import type { StreamEncoder } from "./stream-play.ts";

type OutputItem = Record<string, unknown> & { id: string; type: string };
export type ResponseStatus = "queued" | "in_progress" | "completed" | "incomplete" | "failed" | "cancelled";

export interface ResponsesEncoderOptions {
  model: string;
  inputTokens: number;
  instructions: string | null;
  /** OpenAI numbers every event; the OpenClaw gateway does not. */
  sequenceNumbers: boolean;
  background: boolean;
  /** The OpenClaw gateway ends its stream with `data: [DONE]`; OpenAI does not. */
  doneSentinel: boolean;
  /**
   * The OpenClaw gateway holds trailing whitespace back until more text follows (or the message
   * ends), so a run aborted mid-answer never sends the space after its last word.
   */
  holdTrailingWhitespace?: boolean;
}

/**
 * Builds the OpenAI Responses event sequence for one run and keeps the response object those
 * events describe, so a non-streamed call, a retrieve and the terminal event all agree. Text is
 * one `message` item per stretch between tool stages; each stage is a `function_call` item.
 */
export class ResponsesEncoder implements StreamEncoder {
  readonly id = providerId("resp");
  readonly createdAt = nowSeconds();
  status: ResponseStatus;
  readonly #options: ResponsesEncoderOptions;
  readonly #output: OutputItem[] = [];
  #openMessage: { item: OutputItem; text: string } | undefined;
  /** Trailing whitespace not sent yet (holdTrailingWhitespace). */
  #heldWhitespace = "";
  #sequence = 0;
  #outputTokens = 0;
  #error: { code: string; message: string } | null = null;
  #incompleteReason: string | null = null;

  constructor(options: ResponsesEncoderOptions) {
    this.#options = options;
    this.status = options.background ? "queued" : "in_progress";
  }

  start(): SimFrame[] {
    const frames = [this.#frame("response.created", { response: this.snapshot() })];
    if (this.#options.background) {
      frames.push(this.#frame("response.queued", { response: this.snapshot() }));
      this.status = "in_progress";
    }
    frames.push(this.#frame("response.in_progress", { response: this.snapshot() }));
    return frames;
  }

  text(delta: string, tokens: number): SimFrame[] {
    this.#outputTokens += tokens;
    const frames = this.#openMessage ? [] : this.#startMessage();
    if (this.#options.holdTrailingWhitespace) {
      const combined = this.#heldWhitespace + delta;
      const body = combined.trimEnd();
      this.#heldWhitespace = combined.slice(body.length);
      if (body) frames.push(this.#delta(body));
      return frames;
    }
    frames.push(this.#delta(delta));
    return frames;
  }

  #delta(delta: string): SimFrame {
    const message = this.#openMessage!;
    message.text += delta;
    return this.#frame("response.output_text.delta", {
      item_id: message.item.id,
      output_index: this.#output.length - 1,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  stage(stageIndex: number, toolName: string): SimFrame[] {
    const frames = this.#closeMessage();
    const outputIndex = this.#output.length;
    const args = JSON.stringify({ query: `stage ${stageIndex + 1}` });
    const item: OutputItem = {
      id: providerId("fc"),
      type: "function_call",
      status: "in_progress",
      call_id: providerId("call"),
      name: toolName,
      arguments: "",
    };
    this.#output.push(item);
    frames.push(this.#frame("response.output_item.added", { output_index: outputIndex, item: { ...item } }));
    frames.push(
      this.#frame("response.function_call_arguments.delta", {
        item_id: item.id,
        output_index: outputIndex,
        delta: args,
      }),
    );
    frames.push(
      this.#frame("response.function_call_arguments.done", {
        item_id: item.id,
        output_index: outputIndex,
        name: toolName,
        arguments: args,
      }),
    );
    Object.assign(item, { arguments: args, status: "completed" });
    frames.push(this.#frame("response.output_item.done", { output_index: outputIndex, item: { ...item } }));
    return frames;
  }

  /** Terminal event for a run that ran to its end (`truncated`: cut by max_output_tokens). */
  finish(truncated: boolean): SimFrame[] {
    const frames = this.#closeMessage();
    this.status = truncated ? "incomplete" : "completed";
    if (truncated) this.#incompleteReason = "max_output_tokens";
    frames.push(
      this.#frame(truncated ? "response.incomplete" : "response.completed", { response: this.snapshot() }),
    );
    return this.#withSentinel(frames);
  }

  failed(message: string): SimFrame[] {
    this.#heldWhitespace = "";
    this.status = "failed";
    this.#error = { code: "server_error", message };
    return this.#withSentinel([this.#frame("response.failed", { response: this.snapshot() })]);
  }

  cancel(): void {
    this.#heldWhitespace = "";
    this.#closeMessage();
    this.status = "cancelled";
  }

  /** A frame whose JSON is cut off mid-string: what a broken proxy or provider bug looks like. */
  malformed(): string {
    const line = this.#options.sequenceNumbers ? `,"sequence_number":${this.#sequence++}` : "";
    return `event: response.output_text.delta\ndata: {"type":"response.output_text.delta"${line},"delta":"unterminated\n\n`;
  }

  snapshot(): Record<string, unknown> {
    const finished = this.status === "completed" || this.status === "incomplete";
    const running = this.status === "queued" || this.status === "in_progress";
    return {
      id: this.id,
      object: "response",
      created_at: this.createdAt,
      status: this.status,
      background: this.#options.background,
      error: this.#error,
      incomplete_details: this.#incompleteReason ? { reason: this.#incompleteReason } : null,
      instructions: this.#options.instructions,
      max_output_tokens: null,
      model: this.#options.model,
      // Lifecycle events of a running response carry no output; the items stream separately.
      output: running ? [] : this.#outputCopy(),
      parallel_tool_calls: true,
      previous_response_id: null,
      store: true,
      temperature: 1,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: 1,
      truncation: "disabled",
      usage: finished ? this.#usage() : null,
      metadata: {},
    };
  }

  /** The response object with everything produced so far (retrieve of a running background run). */
  progressSnapshot(): Record<string, unknown> {
    return { ...this.snapshot(), output: this.#outputCopy() };
  }

  #usage(): Record<string, unknown> {
    return {
      input_tokens: this.#options.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: this.#outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: this.#options.inputTokens + this.#outputTokens,
    };
  }

  #outputCopy(): OutputItem[] {
    return this.#output.map((item) => {
      if (item.type !== "message") return { ...item };
      const text = item === this.#openMessage?.item ? this.#openMessage.text : undefined;
      if (text === undefined) return structuredClone(item);
      return { ...item, content: [{ type: "output_text", text, annotations: [], logprobs: [] }] };
    });
  }

  #startMessage(): SimFrame[] {
    const item: OutputItem = {
      id: providerId("msg"),
      type: "message",
      status: "in_progress",
      role: "assistant",
      content: [],
    };
    this.#output.push(item);
    this.#openMessage = { item, text: "" };
    const outputIndex = this.#output.length - 1;
    return [
      this.#frame("response.output_item.added", { output_index: outputIndex, item: structuredClone(item) }),
      this.#frame("response.content_part.added", {
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      }),
    ];
  }

  #closeMessage(): SimFrame[] {
    const message = this.#openMessage;
    if (!message) return [];
    const flushed = this.#heldWhitespace ? [this.#delta(this.#heldWhitespace)] : [];
    this.#heldWhitespace = "";
    this.#openMessage = undefined;
    const outputIndex = this.#output.indexOf(message.item);
    const part = { type: "output_text", text: message.text, annotations: [], logprobs: [] };
    Object.assign(message.item, { status: "completed", content: [part] });
    const where = { item_id: message.item.id, output_index: outputIndex, content_index: 0 };
    return [
      ...flushed,
      this.#frame("response.output_text.done", { ...where, text: message.text, logprobs: [] }),
      this.#frame("response.content_part.done", { ...where, part }),
      this.#frame("response.output_item.done", {
        output_index: outputIndex,
        item: structuredClone(message.item),
      }),
    ];
  }

  #withSentinel(frames: SimFrame[]): SimFrame[] {
    if (this.#options.doneSentinel) frames.push({ data: "[DONE]" });
    return frames;
  }

  #frame(type: string, fields: Record<string, unknown>): SimFrame {
    const body = this.#options.sequenceNumbers
      ? { type, sequence_number: this.#sequence++, ...fields }
      : { type, ...fields };
    return { event: type, data: JSON.stringify(body) };
  }
}
