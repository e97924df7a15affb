import {
  asNumber,
  asObject,
  asString,
  ConnectionBoundMapper,
  malformedFrame,
  parseFrameObject,
  providerError,
  unknownEvent,
} from "../frame-mapper.ts";
import type { SseFrame } from "../sse-frames.ts";
import type { AgentDoneReason, AgentEvent } from "../types.ts";

const doneReasonByFinishReason: Record<string, AgentDoneReason> = {
  stop: "completed",
  tool_calls: "completed",
  function_call: "completed",
  length: "max_tokens",
  content_filter: "incomplete",
};

/**
 * OpenAI-compatible chat completion chunks. There are no event names; the finish reason arrives
 * on one chunk, the usage on a later one (`stream_options.include_usage`), and only `[DONE]`
 * ends the stream, so that is where `done` is emitted.
 */
export class ChatCompletionsFrameMapper extends ConnectionBoundMapper {
  #finishReason: string | undefined;

  map(frame: SseFrame): AgentEvent[] {
    if (frame.data === "[DONE]") {
      return this.finish(this.#finishReason, doneReasonByFinishReason);
    }
    if (frame.event !== undefined && frame.event !== "error" && frame.event !== "message") {
      return this.fail(unknownEvent(frame.event));
    }
    const json = parseFrameObject(frame);
    if (typeof json === "string") return this.fail(malformedFrame(json));
    const error = asObject(json.error);
    if (error || frame.event === "error") {
      const code = asString(error?.code) ?? asString(error?.type) ?? "server_error";
      return this.fail(providerError(code, asString(error?.message) ?? "The agent reported an error."));
    }
    if (!Array.isArray(json.choices)) return this.fail(malformedFrame("Chunk without a `choices` array."));
    const events: AgentEvent[] = [];
    for (const rawChoice of json.choices) {
      const choice = asObject(rawChoice);
      // Only the first choice is the answer; we never ask for n > 1.
      if (!choice || (asNumber(choice.index) ?? 0) !== 0) continue;
      const delta = asObject(choice.delta);
      const content = asString(delta?.content);
      if (content) events.push({ type: "text", text: content });
      if (Array.isArray(delta?.tool_calls)) {
        for (const call of delta.tool_calls) {
          const name = asString(asObject(asObject(call)?.function)?.name);
          if (name) events.push({ type: "progress", stage: `tool: ${name}` });
        }
      }
      const finishReason = asString(choice.finish_reason);
      if (finishReason) this.#finishReason = finishReason;
    }
    const usage = asObject(json.usage);
    const inputTokens = asNumber(usage?.prompt_tokens);
    const outputTokens = asNumber(usage?.completion_tokens);
    if (inputTokens !== undefined && outputTokens !== undefined) {
      events.push({ type: "usage", inputTokens, outputTokens });
    }
    return events;
  }
}
