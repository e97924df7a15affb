import type { AgentConfig, AgentEvent, ModelPrice } from "../../lib/agent/index.ts";

/** An agent whose events the test sends one by one; it ends when told or when its signal aborts. */
export class ScriptedAgent {
  #queue: AgentEvent[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  send(...events: AgentEvent[]): void {
    this.#queue.push(...events);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *stream(signal: AbortSignal): AsyncGenerator<AgentEvent> {
    while (!signal.aborted) {
      const next = this.#queue.shift();
      if (next) yield next;
      else if (this.#ended) return;
      else
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
    }
  }
}

/** A configuration for a scripted agent (its transport and URL are never used) at this price. */
export function scriptedAgentConfig(price: ModelPrice): AgentConfig {
  return {
    name: "scripted",
    transport: "chat-completions",
    url: "http://unused",
    token: "t",
    model: "m",
    price,
  };
}

export const DONE: AgentEvent = { type: "done", reason: "completed" };

/** A text event with a detachable cursor at `sequenceNumber`. */
export const text = (value: string, sequenceNumber: number): AgentEvent => ({
  type: "text",
  text: value,
  cursor: { responseId: "r", sequenceNumber },
});
