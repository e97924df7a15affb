import {
  asNumber,
  asObject,
  asString,
  ConnectionBoundMapper,
  type JsonObject,
  malformedFrame,
  parseFrameObject,
  providerError,
} from "../frame-mapper.ts";
import type { SseFrame } from "../sse-frames.ts";
import type { AgentDoneReason, AgentEvent } from "../types.ts";

const doneReasonByStopReason: Record<string, AgentDoneReason> = {
  end_turn: "completed",
  stop_sequence: "completed",
  tool_use: "completed",
  max_tokens: "max_tokens",
  model_context_window_exceeded: "max_tokens",
  pause_turn: "incomplete",
  refusal: "incomplete",
};

/**
 * Anthropic Messages stream. Input tokens arrive in `message_start`; `message_delta` carries the
 * cumulative output tokens and the stop reason; `message_stop` ends the message. Event types this
 * client does not know are skipped, as Anthropic's versioning policy asks of clients (new event
 * types may be added to the stream at any time).
 */
export class AnthropicFrameMapper extends ConnectionBoundMapper {
  #inputTokens = 0;
  #outputTokens = 0;
  #stopReason: string | undefined;

  map(frame: SseFrame): AgentEvent[] {
    const json = parseFrameObject(frame);
    const type = typeof json === "string" ? undefined : asString(json.type);
    if (typeof json === "string" || !type) {
      return this.fail(malformedFrame(typeof json === "string" ? json : "Event without a type."));
    }
    switch (type) {
      case "ping":
      case "content_block_stop":
        return [];
      case "message_start": {
        const usage = asObject(asObject(json.message)?.usage);
        this.#readUsage(usage);
        return [];
      }
      case "content_block_start":
        return this.#blockStart(asObject(json.content_block));
      case "content_block_delta": {
        const delta = asObject(json.delta);
        if (asString(delta?.type) !== "text_delta") return [];
        const text = asString(delta?.text);
        if (text === undefined) return this.fail(malformedFrame("text_delta without a string `text`."));
        return text === "" ? [] : [{ type: "text", text }];
      }
      case "message_delta": {
        const stopReason = asString(asObject(json.delta)?.stop_reason);
        if (stopReason) this.#stopReason = stopReason;
        this.#readUsage(asObject(json.usage));
        return [{ type: "usage", inputTokens: this.#inputTokens, outputTokens: this.#outputTokens }];
      }
      case "message_stop":
        return this.finish(this.#stopReason, doneReasonByStopReason);
      case "error": {
        const error = asObject(json.error);
        const code = asString(error?.type) ?? "api_error";
        return this.fail(providerError(code, asString(error?.message) ?? "The agent reported an error."));
      }
      default:
        return [];
    }
  }

  #blockStart(block: JsonObject | undefined): AgentEvent[] {
    const blockType = asString(block?.type);
    if (blockType === "tool_use" || blockType === "server_tool_use" || blockType === "mcp_tool_use") {
      return [{ type: "progress", stage: `tool: ${asString(block?.name) ?? blockType}` }];
    }
    const text = blockType === "text" ? asString(block?.text) : undefined;
    return text ? [{ type: "text", text }] : [];
  }

  /** Anthropic usage counts are cumulative; cache reads and writes are billed input too. */
  #readUsage(usage: JsonObject | undefined): void {
    if (!usage) return;
    const input = asNumber(usage.input_tokens);
    const cacheCreation = asNumber(usage.cache_creation_input_tokens) ?? 0;
    const cacheRead = asNumber(usage.cache_read_input_tokens) ?? 0;
    if (input !== undefined) this.#inputTokens = input + cacheCreation + cacheRead;
    const output = asNumber(usage.output_tokens);
    if (output !== undefined) this.#outputTokens = output;
  }
}
