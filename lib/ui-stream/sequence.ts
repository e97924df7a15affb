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
 * - Tool calls (stages), the runner and progress are recorded in the log too (`session_marks`), each
 *   at the byte offset it happened at, in the statement of the checkpoint that carries it; both paths
 *   put a mark after every delta ending at or before its offset. A tool call is a dynamic tool
 *   (`tool-input-start`, `tool-input-available`; `tool-output-available` when the next text, tool or
 *   the step's end comes), the runner a `data-runner` part at each step's start, progress a transient
 *   `data-progress` (and `data-credits` when the credits moved).
 * - Everything else is a function of the durable log alone: a step per run of rows of one producer
 *   epoch (opened just before its first delta or tool call, closed when the next epoch's first one or
 *   the end arrives), `data-handoff` between steps, and the terminal chunks from the final status.
 *   The live path therefore never sends what a replay could not rebuild: it opens no step before its
 *   first delta and closes none at a handoff (the next reader closes it when the next step begins).
 * - A rewind (DESIGN §4a): a live client may hold chunks of its producer that never reached the log
 *   (`LiveLead`: at most LIVE_LEAD_EVENTS deltas and marks, so at most SEAM_PADDING chunks, and never
 *   before the producer's first write landed; the live runner's step opens at its runner mark, which
 *   that write carries, so every read has the step the client saw). If that producer did not end on its own (its last write
 *   has no `clean` runner mark: it died or was fenced), its step is closed by SEAM_PADDING transient
 *   `data-rewind` chunks, `reset-step` and the step's durable content again (its text in one delta per
 *   part). Chunk N is then the same on every read again from the `reset-step` on: a client that held k
 *   undurable chunks reconnects at an index inside the padding, and whatever step it had open (the
 *   dead producer's, durable and not) is reset to what the log holds. Only a step of the live runner
 *   (`data-runner` "live") can need it; other producers' steps were only ever read from the log.
 */
import type { UIMessageChunk } from "ai";
import { LIVE_LEAD_EVENTS } from "../session/live-lead.ts";

export { cutAtByteEnds } from "./byte-cuts.ts";

/** The most chunks one delta or mark becomes (a tool call opening a step: 6). */
const MAX_CHUNKS_PER_EVENT = 6;
/** Transient chunks before a `reset-step`: more than a live client can hold past the log. */
export const SEAM_PADDING = LIVE_LEAD_EVENTS * MAX_CHUNKS_PER_EVENT;

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

/** Bytes `from`–`to` of a row's UTF-8 text: a replay's delta, not decoded unless needed. */
export interface Utf8Range {
  utf8: Uint8Array;
  from: number;
  to: number;
}

/** A journal entry: a chunk, or the text of one part so far (strings and byte ranges, in order). */
type JournalEntry = UiChunk | { type: "text-run"; id: string; pieces: (string | Utf8Range)[] };

/** A mark of the log as the sequencer takes it (`session_marks`). */
export interface UiMark {
  kind: "tool" | "runner" | "progress";
  data: Record<string, unknown>;
}

/** The dynamic tool name of a stage: `tool: web_search` → `web_search`. */
export function toolNameOf(stage: unknown): string {
  const name = typeof stage === "string" ? stage.replace(/^tool:\s*/, "") : "";
  return name || "tool";
}

/** Builds the chunk sequence incrementally; the same calls in the same order give the same chunks. */
export class UiChunkSequencer {
  readonly #meta: UiMessageMeta;
  #stepEpoch: number | null = null;
  #steps = 0;
  #offset = 0;
  /** The open text part's id, the open tool call's id (null: none), tool calls and text parts so far. */
  #textId: string | null = null;
  #toolId: string | null = null;
  #tools = 0;
  #texts = 0;
  #runners = new Map<number, unknown>();
  /** Epochs whose producer ended on its own (a `clean` runner mark): nothing to rewind at their seam. */
  #clean = new Set<number>();
  /** The open step's chunks after `start-step`, text merged (live runner steps only, for a rewind). */
  #journal: JournalEntry[] | null = null;
  #credits: unknown;

  constructor(meta: UiMessageMeta) {
    this.#meta = meta;
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
    const chunks = this.#enterStep(epoch);
    const own: UiChunk[] = this.#closeTool();
    if (this.#textId === null) {
      this.#textId = `text-${this.#texts++}`;
      own.push({ type: "text-start", id: this.#textId });
    }
    this.#offset = endOffset;
    own.push({ type: "text-delta", id: this.#textId, delta: text });
    this.#record(own);
    chunks.push(...own);
    return chunks;
  }

  /**
   * The open text part's id when a delta `text` (or a function giving it) of `epoch` ending at
   * `endOffset` is nothing but one more `text-delta` of it (what `delta` would return); null when it needs other chunks (use `delta`).
   */
  appendText(text: string | Utf8Range, epoch: number, endOffset: number): string | null {
    if (this.#stepEpoch !== epoch || this.#toolId !== null || this.#textId === null) return null;
    this.#offset = endOffset;
    this.#recordText(this.#textId, text);
    return this.#textId;
  }

  /** Keeps the open step's chunks for a rewind (transient ones aside), consecutive text of a part merged. */
  #record(chunks: UiChunk[]): void {
    if (this.#journal === null) return;
    for (const chunk of chunks) {
      if (chunk.type === "text-delta") this.#recordText(chunk.id, chunk.delta);
      else if (!(chunk.type.startsWith("data-") && "transient" in chunk && chunk.transient))
        this.#journal.push(chunk);
    }
  }

  /** Text of part `id` for the journal: bytes of one row stay one range, decoded only at a rewind. */
  #recordText(id: string, text: string | Utf8Range): void {
    const journal = this.#journal;
    if (journal === null) return;
    let run = journal.at(-1);
    if (run?.type !== "text-run" || run.id !== id) {
      run = { type: "text-run", id, pieces: [] };
      journal.push(run);
    }
    const last = run.pieces.at(-1);
    if (
      typeof text !== "string" &&
      typeof last === "object" &&
      last.utf8 === text.utf8 &&
      last.to === text.from
    )
      run.pieces[run.pieces.length - 1] = { ...last, to: text.to };
    else run.pieces.push(text);
  }

  /** One mark of the producer of `epoch`, in its place after the deltas before it. */
  mark(mark: UiMark, epoch: number): UiChunk[] {
    if (mark.kind === "runner") {
      if (mark.data.clean === true) {
        this.#clean.add(epoch);
        return [];
      }
      this.#runners.set(epoch, mark.data.runner ?? null);
      // The live runner's step opens with its first write (its client may get chunks of it before any
      // text is durable, see the header); other producers' steps open at their first delta or tool.
      return mark.data.runner === "live" ? this.#enterStep(epoch) : [];
    }
    if (mark.kind === "progress") return this.#progress(mark.data);
    const chunks = this.#enterStep(epoch);
    const own = [...this.#closeTool(), ...this.#closeText()];
    const toolCallId = `tool-${this.#tools++}`;
    const toolName = toolNameOf(mark.data.name);
    this.#toolId = toolCallId;
    // Run by the agent, not the browser: `providerExecuted` keeps `useChat`'s `onToolCall` out of it.
    const tool = { toolCallId, toolName, dynamic: true, providerExecuted: true } as const;
    own.push({ type: "tool-input-start", ...tool }, { type: "tool-input-available", ...tool, input: {} });
    this.#record(own);
    chunks.push(...own);
    return chunks;
  }

  #progress(data: Record<string, unknown>): UiChunk[] {
    const chunks: UiChunk[] = [{ type: "data-progress", data, transient: true }];
    const credits = data.credits ?? null;
    if (credits !== this.#credits) {
      this.#credits = credits;
      chunks.push({ type: "data-credits", id: "credits", data: { credits } });
    }
    this.#record(chunks);
    return chunks;
  }

  /** Opens the step of `epoch` (closing the previous one, with `data-handoff` between them). */
  #enterStep(epoch: number): UiChunk[] {
    if (this.#stepEpoch === epoch) return [];
    const chunks: UiChunk[] = [];
    if (this.#stepEpoch !== null) {
      chunks.push(...this.#closeStep());
      chunks.push({ type: "data-handoff", data: { offset: this.#offset, epoch } });
    }
    this.#stepEpoch = epoch;
    this.#steps += 1;
    const runner = this.#runners.get(epoch) ?? null;
    const runnerPart: UiChunk = { type: "data-runner", id: "runner", data: { runner, epoch } };
    chunks.push({ type: "start-step" }, runnerPart);
    this.#journal = runner === "live" ? [runnerPart] : null;
    return chunks;
  }

  /**
   * A step a live client may hold more of than the log (its producer did not end on its own): the
   * padding, `reset-step`, and the step's durable content again (see the header).
   */
  #rewind(): UiChunk[] {
    const epoch = this.#stepEpoch;
    if (epoch === null || this.#journal === null || this.#clean.has(epoch)) return [];
    const padding: UiChunk = { type: "data-rewind", data: null, transient: true };
    const chunks: UiChunk[] = Array.from({ length: SEAM_PADDING }, () => padding);
    chunks.push({ type: "reset-step" });
    const decoder = new TextDecoder();
    for (const entry of this.#journal) {
      if (entry.type !== "text-run") chunks.push(entry);
      else {
        const text = entry.pieces.map((piece) =>
          typeof piece === "string" ? piece : decoder.decode(piece.utf8.subarray(piece.from, piece.to)),
        );
        chunks.push({ type: "text-delta", id: entry.id, delta: text.join("") });
      }
    }
    return chunks;
  }

  #closeTool(): UiChunk[] {
    if (this.#toolId === null) return [];
    const toolCallId = this.#toolId;
    this.#toolId = null;
    return [{ type: "tool-output-available", toolCallId, output: {}, dynamic: true, providerExecuted: true }];
  }

  #closeText(): UiChunk[] {
    if (this.#textId === null) return [];
    const id = this.#textId;
    this.#textId = null;
    return [{ type: "text-end", id }];
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
    const chunks = this.#rewind();
    this.#stepEpoch = null;
    this.#journal = null;
    chunks.push(...this.#closeTool(), ...this.#closeText(), { type: "finish-step" });
    return chunks;
  }
}

/** Whether a chunk ends the message for readers that wait for `finish`. */
export function isFinishChunk(chunk: UiChunk): boolean {
  return chunk.type === "finish";
}
