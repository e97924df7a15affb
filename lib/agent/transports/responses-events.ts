import {
  asNumber,
  asObject,
  asString,
  type FrameMapper,
  type JsonObject,
  malformedFrame,
  parseFrameObject,
  providerError,
  unknownEvent,
  withCursor,
} from "../frame-mapper.ts";
import type { SseFrame } from "../sse-frames.ts";
import type { AgentCursor, AgentDoneReason, AgentEvent } from "../types.ts";

/** Output item types that are the answer itself, not a tool step. */
const nonToolItems = new Set(["message", "reasoning", "compaction"]);

/** "tool: web_search" for a function call named web_search or a hosted `web_search_call` item. */
function toolStage(item: JsonObject): string | undefined {
  const type = asString(item.type);
  if (!type || nonToolItems.has(type)) return undefined;
  const name = asString(item.name) ?? type.replace(/_call$/, "");
  return `tool: ${name}`;
}

/**
 * OpenAI Responses stream events (OpenClaw's `/v1/responses` and OpenAI's background mode speak
 * the same vocabulary). Every OpenAI event is `error` or `response.*`; the many `response.*`
 * events we do not need (reasoning, annotations, argument deltas, …) are skipped on purpose.
 * With `trackCursor`, each event carries the response id and its `sequence_number`.
 */
export class ResponsesFrameMapper implements FrameMapper {
  ended = false;
  cursor: AgentCursor | undefined;
  readonly #trackCursor: boolean;

  constructor(options: { trackCursor: boolean; cursor?: AgentCursor }) {
    this.#trackCursor = options.trackCursor;
    this.cursor = options.cursor ? { ...options.cursor } : undefined;
  }

  map(frame: SseFrame): AgentEvent[] {
    if (frame.data === "[DONE]") {
      this.ended = true;
      return [
        withCursor(
          {
            type: "error",
            code: "stream_truncated",
            message: "The agent stream sent [DONE] before a final response event.",
            retryable: true,
          },
          this.cursor,
        ),
      ];
    }
    const json = parseFrameObject(frame);
    const type = typeof json === "string" ? undefined : asString(json.type);
    if (typeof json === "string" || !type) {
      this.ended = true;
      const event = malformedFrame(typeof json === "string" ? json : "Event without a type.", this.cursor);
      // A garbled frame is a wire problem, not the run's: with a cursor, re-attaching replays the
      // stored events after it, so a detachable run can retry without losing or repeating text.
      return [this.#trackCursor && this.cursor ? { ...event, retryable: true } : event];
    }
    this.#advanceCursor(json);
    const events = this.#mapEvent(type, json);
    return events.map((event) => withCursor(event, this.cursor));
  }

  #advanceCursor(json: JsonObject): void {
    if (!this.#trackCursor) return;
    const responseId = asString(asObject(json.response)?.id) ?? this.cursor?.responseId;
    const sequenceNumber = asNumber(json.sequence_number);
    if (responseId && sequenceNumber !== undefined) this.cursor = { responseId, sequenceNumber };
  }

  #mapEvent(type: string, json: JsonObject): AgentEvent[] {
    switch (type) {
      case "response.output_text.delta": {
        const delta = asString(json.delta);
        if (delta === undefined) return this.#fail(malformedFrame("Text delta without a string `delta`."));
        return delta === "" ? [] : [{ type: "text", text: delta }];
      }
      case "response.output_item.added": {
        const stage = toolStage(asObject(json.item) ?? {});
        return stage ? [{ type: "progress", stage }] : [];
      }
      case "response.completed":
        return this.#finish(json, "completed");
      case "response.incomplete": {
        const reason = asString(asObject(asObject(json.response)?.incomplete_details)?.reason);
        return this.#finish(json, reason === "max_output_tokens" ? "max_tokens" : "incomplete");
      }
      case "response.failed": {
        const error = asObject(asObject(json.response)?.error);
        const code = asString(error?.code) ?? "server_error";
        return this.#fail(providerError(code, asString(error?.message) ?? "The agent run failed."));
      }
      case "error": {
        // Flat in the published schema; some providers nest it under `error`.
        const error = asObject(json.error) ?? json;
        const code = asString(error.code) ?? asString(error.type) ?? "server_error";
        return this.#fail(providerError(code, asString(error.message) ?? "The agent reported an error."));
      }
      default:
        if (type.startsWith("response.")) return [];
        return this.#fail(unknownEvent(type));
    }
  }

  #finish(json: JsonObject, reason: AgentDoneReason): AgentEvent[] {
    this.ended = true;
    const usage = asObject(asObject(json.response)?.usage);
    const inputTokens = asNumber(usage?.input_tokens);
    const outputTokens = asNumber(usage?.output_tokens);
    const events: AgentEvent[] = [];
    if (inputTokens !== undefined && outputTokens !== undefined) {
      events.push({ type: "usage", inputTokens, outputTokens });
    }
    events.push({ type: "done", reason });
    return events;
  }

  #fail(event: AgentEvent): AgentEvent[] {
    this.ended = true;
    return [event];
  }
}
