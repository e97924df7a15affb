/**
 * The one sequence of AI SDK UI message chunks (UI message stream protocol v1) that a session is,
 * built from what the session log holds. Browser-safe: no Node or server imports.
 *
 * Numbering (issue 18: "chunk N is the same chunk on every read"). `WorkflowChatTransport` counts the
 * chunks it received and reconnects with `?startIndex=<count>`, so the live `POST /api/chat` response
 * and every replay must produce the very same chunks in the same order. The reasoning:
 * - The live response sends one `text-delta` per agent delta, at once (holding text back to reach a
 *   fixed byte boundary would add latency, DESIGN §10). A replay reads log rows, which coalesce many
 *   deltas (one row per checkpoint). So the replay must know where the live deltas ended: the
 *   checkpointer records each pushed delta's end offset with the checkpoint (`session_chunks.delta_ends`,
 *   written in the same statement as the text, so no reader sees text without its marks), and the
 *   replay splits rows at exactly those offsets. A row without marks (written before they existed) is
 *   one delta. Coalescing replay never shifts the numbering because it coalesces nothing: it only
 *   re-cuts the log at recorded offsets, the very cuts the live path made.
 * - Everything else in the sequence is a function of the durable log alone: a step per run of rows
 *   of one producer epoch (opened just before its first delta, closed when the next epoch's first row
 *   or the end arrives), `data-handoff` between steps, and the terminal chunks from the final status.
 *   The live path therefore never sends what a replay could not rebuild: it opens no step before its
 *   first delta and closes none at a handoff (the next reader closes it when the next step begins).
 * - Progress (stage, tokens, credits) is not in the numbered sequence: the log keeps only its latest
 *   value, so a chunk carrying it could not be rebuilt at the same index by a later read.
 */
import type { UIMessageChunk } from "ai";

/** What a reader needs to know about the session besides its text. */
export interface UiMessageMeta {
  sessionId: string;
  conversationId: string;
  agent: string;
  mode: string;
}

/** How a session ended, as the sequence's last chunks say it. */
export interface UiTerminal {
  status: "completed" | "failed" | "cancelled";
  error?: { code: string; message: string } | null;
  /** A completed session's usage and cost (the `done` event's, the row's once finished). */
  usage?: { inputTokens: number; outputTokens: number; estimated?: boolean } | null;
  costUsd?: number | null;
}

/**
 * What `finish` adds to the message's metadata, so a page needs no snapshot read to show the end: the
 * status, a completed session's usage and cost, a failed one's error (its code says why, e.g.
 * `payment_required:credits` behind `finishReason: "length"`).
 */
function finishMetadata(terminal: UiTerminal): Record<string, unknown> {
  if (terminal.status === "completed")
    return { status: "completed", usage: terminal.usage ?? null, costUsd: terminal.costUsd ?? null };
  if (terminal.status === "cancelled") return { status: "cancelled" };
  const error = terminal.error ?? { code: "internal:session", message: "The session failed." };
  return { status: "failed", error: { code: error.code, message: error.message } };
}

export type UiChunk = UIMessageChunk;

/** Builds the chunk sequence incrementally; the same calls in the same order give the same chunks. */
export class UiChunkSequencer {
  readonly #meta: UiMessageMeta;
  #stepEpoch: number | null = null;
  #steps = 0;
  #offset = 0;

  constructor(meta: UiMessageMeta) {
    this.#meta = meta;
  }

  /** The text id of the open step (one text part per step). */
  get #textId(): string {
    return `text-${this.#steps}`;
  }

  /** Chunk 0: `start`, its `messageId` the session id on every read. */
  start(): UiChunk[] {
    const { sessionId, conversationId, agent, mode } = this.#meta;
    return [
      { type: "start", messageId: sessionId, messageMetadata: { sessionId, conversationId, agent, mode } },
    ];
  }

  /** One delta of text from the producer of `epoch`, ending at byte `endOffset`. */
  delta(text: string, epoch: number, endOffset: number): UiChunk[] {
    if (text === "") return [];
    const chunks: UiChunk[] = [];
    if (this.#stepEpoch !== epoch) {
      if (this.#stepEpoch !== null) {
        chunks.push(...this.#closeStep());
        chunks.push({ type: "data-handoff", data: { offset: this.#offset, epoch } });
      }
      this.#stepEpoch = epoch;
      this.#steps += 1;
      chunks.push({ type: "start-step" }, { type: "text-start", id: this.#textId });
    }
    this.#offset = endOffset;
    chunks.push({ type: "text-delta", id: this.#textId, delta: text });
    return chunks;
  }

  /** The end: the open step closed, then `finish` (or `abort` + `finish` for a cancel). */
  finish(terminal: UiTerminal): UiChunk[] {
    const chunks = this.#closeStep();
    const messageMetadata = finishMetadata(terminal);
    if (terminal.status === "completed")
      chunks.push({ type: "finish", finishReason: "stop", messageMetadata });
    else if (terminal.status === "cancelled") {
      // `finish` after `abort`: readers that loop until `finish` (WorkflowChatTransport) stop here.
      chunks.push(
        { type: "abort", reason: "The session was stopped." },
        { type: "finish", finishReason: "other", messageMetadata },
      );
    } else if (terminal.error?.code.startsWith("payment_required:")) {
      // Stopped at the credit limit (balance or maxCredits): output kept, like a length cut.
      chunks.push({ type: "finish", finishReason: "length", messageMetadata });
    } else {
      const message = terminal.error?.message || "The session failed.";
      chunks.push(
        { type: "error", errorText: message },
        { type: "finish", finishReason: "error", messageMetadata },
      );
    }
    return chunks;
  }

  #closeStep(): UiChunk[] {
    if (this.#stepEpoch === null) return [];
    this.#stepEpoch = null;
    return [{ type: "text-end", id: this.#textId }, { type: "finish-step" }];
  }
}

/** Whether a chunk ends the message for readers that wait for `finish`. */
export function isFinishChunk(chunk: UiChunk): boolean {
  return chunk.type === "finish";
}
