// Issue 18: chunk N is the same chunk on every read, tool calls and data parts included. The live path
// (LiveLead → feed → liveChunks) and the replay (rows and marks as the checkpointer writes them →
// LogChunkAssembler, in pages of any size) must give the very same chunks.
import { readUIMessageStream, type UIMessage } from "ai";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { rowDeltaEnds, splitOnCharacters } from "../../lib/db/session-log.ts";
import type { LogRowWithDeltas, StoredMark } from "../../lib/db/session-log-deltas.ts";
import { parseOffsetArray } from "../../lib/db/session-log-deltas.ts";
import type { SessionEvent } from "../../lib/session/events.ts";
import { SessionFeed } from "../../lib/session/events.ts";
import { LiveLead } from "../../lib/session/live-lead.ts";
import type { LogMark } from "../../lib/session/ports.ts";
import { liveChunks } from "../../lib/ui-stream/live.ts";
import { LogChunkAssembler } from "../../lib/ui-stream/replay.ts";
import {
  createUiMessageStream,
  textRunDeltas,
  type UiChunkWriter,
  type UiTextRun,
} from "../../lib/ui-stream/response.ts";
import {
  cutAtByteEnds,
  SEAM_PADDING,
  type UiChunk,
  UiChunkSequencer,
  type UiTerminal,
} from "../../lib/ui-stream/sequence.ts";

const meta = { sessionId: "s", conversationId: "c", agent: "sim-chat", mode: "auto" };

type Step =
  | { kind: "text"; text: string }
  | { kind: "tool"; name: string }
  | { kind: "progress"; credits: number }
  | { kind: "checkpoint" };

const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.stringMatching(/^[aé🚀 z]{1,6}$/u).map((text) => ({ kind: "text", text }) as Step),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("tool: web_search", "tool: run_code")
      .map((name) => ({ kind: "tool", name }) as Step),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 3 }).map((credits) => ({ kind: "progress", credits }) as Step),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "checkpoint" } as Step) },
);

/**
 * What the checkpointer and the database make of a script: rows (split at `maxBytes`) and marks. A
 * live producer records where each delta ended; a background one (`recorded` false) records none.
 */
function logOf(
  steps: Step[],
  maxBytes: number,
  {
    epoch = 1,
    start = 0,
    runner,
    recorded = true,
  }: { epoch?: number; start?: number; runner?: string; recorded?: boolean } = {},
): { rows: LogRowWithDeltas[]; marks: StoredMark[] } {
  const rows: LogRowWithDeltas[] = [];
  const marks: StoredMark[] = [];
  if (runner) marks.push({ at: start, epoch, seq: 0, kind: "runner", data: { runner } });
  let offset = start;
  let batch = { start, text: "", ends: [] as number[], marks: [] as StoredMark[] };
  const write = () => {
    const pieces = splitOnCharacters(batch.text, maxBytes);
    const ends = pieces.map((_, i) => batch.start + Buffer.byteLength(pieces.slice(0, i + 1).join("")));
    const starts = [batch.start, ...ends.slice(0, -1)];
    const cuts = rowDeltaEnds(starts, ends, recorded ? batch.ends : undefined, batch.marks);
    for (const [i, text] of pieces.entries()) {
      const deltaEnds = cuts[i] === null ? null : cuts[i]!.split(",").filter(Boolean).map(Number);
      rows.push({ startOffset: starts[i]!, endOffset: ends[i]!, text, epoch, deltaEnds });
    }
    batch = { start: offset, text: "", ends: [], marks: [] };
  };
  for (const s of steps) {
    if (s.kind === "text") {
      batch.text += s.text;
      offset += Buffer.byteLength(s.text);
      batch.ends.push(offset);
    } else if (s.kind === "checkpoint") write();
    else {
      marks.push({ at: offset, epoch, seq: marks.length, ...markOf(s) });
      batch.marks.push(marks.at(-1)!);
    }
  }
  write();
  return { rows, marks };
}

function markOf(s: Step): Pick<LogMark, "kind" | "data"> {
  if (s.kind === "tool") return { kind: "tool", data: { name: s.name } };
  if (s.kind === "progress") return { kind: "progress", data: { credits: s.credits } };
  throw new Error("not a mark");
}

/**
 * The live response: deltas through the live lead (held past `lead` bytes until a checkpoint lands).
 * `dies`: the producer (the live runner, its runner mark first) dies after the script, its last
 * checkpoint the last one the script made: what its client holds.
 */
function liveOf(steps: Step[], lead: number, dies = false): UiChunk[] {
  const feed = new SessionFeed();
  const sequencer = new UiChunkSequencer(meta);
  const chunks = sequencer.start();
  feed.subscribe((event: SessionEvent) => chunks.push(...liveChunks(sequencer, event, 1)));
  const liveLead = new LiveLead(feed, 0, lead);
  let offset = 0;
  let marks: LogMark[] = [];
  let seq = 0;
  if (dies) {
    marks.push({ seq: seq++, at: 0, kind: "runner", data: { runner: "live" } });
    liveLead.mark(marks[0]!);
  }
  for (const s of steps) {
    if (s.kind === "text") {
      offset += Buffer.byteLength(s.text);
      liveLead.push(s.text, offset);
    } else if (s.kind === "checkpoint") {
      liveLead.landed({ to: offset, marks });
      marks = [];
    } else {
      const mark = { seq: seq++, at: offset, ...markOf(s) };
      marks.push(mark);
      liveLead.mark(mark);
    }
  }
  if (dies) return chunks;
  liveLead.landed({ to: offset, marks });
  chunks.push(
    ...liveChunks(sequencer, { type: "done", status: "completed", offset, usage: null, costUsd: null }, 1),
  );
  return chunks;
}

/** A replay of the log in pages of `pageRows` rows, each page with the marks up to its end. */
function replayOf(
  log: { rows: LogRowWithDeltas[]; marks: StoredMark[] },
  pageRows: number,
  bulk: boolean,
  terminal: UiTerminal = { status: "completed" },
): UiChunk[] {
  const assembler = new LogChunkAssembler(meta);
  const chunks = assembler.sequencer.start();
  for (let i = 0; i <= log.rows.length; i += pageRows) {
    const rows = log.rows.slice(i, i + pageRows);
    const end = rows.at(-1)?.endOffset ?? assembler.offset;
    const cursor = assembler.markCursor;
    const after = (m: StoredMark) =>
      cursor === null ||
      m.at > cursor.at ||
      (m.at === cursor.at && (m.epoch > cursor.epoch || (m.epoch === cursor.epoch && m.seq > cursor.seq)));
    const marks = log.marks.filter((m) => after(m) && m.at <= end);
    // The bulk path (runs of text deltas at once) must be the very same chunks as one by one.
    const emitText = (id: string, run: UiTextRun) => {
      for (const delta of textRunDeltas(run)) chunks.push({ type: "text-delta", id, delta });
    };
    assembler.page(rows, marks, (chunk) => chunks.push(chunk), bulk ? emitText : undefined);
  }
  chunks.push(...assembler.sequencer.finish(terminal));
  return chunks;
}

/** The text of the message the AI SDK's own reader assembles from `chunks`. */
async function assembledText(chunks: UiChunk[]): Promise<string> {
  const stream = new ReadableStream<UiChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let message: UIMessage | undefined;
  for await (const next of readUIMessageStream({ stream })) message = next;
  return (message?.parts ?? []).map((part) => (part.type === "text" ? part.text : "")).join("");
}

describe("the AI SDK chunk sequence", () => {
  test("cutAtByteEnds cuts UTF-8 text at byte offsets without splitting characters", () => {
    expect(cutAtByteEnds("aé🚀z", 10, [11, 13, 17, 18])).toEqual(["a", "é", "🚀", "z"]);
    expect(cutAtByteEnds("aé🚀z", 10, [13])).toEqual(["aé", "🚀z"]);
    expect(() => cutAtByteEnds("é", 0, [1])).toThrow(/inside a character/);
  });

  test("property: the live response and every replay, in pages of any size, are the same chunks", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        (steps, maxBytes, lead, pageRows, bulk) => {
          const live = liveOf(steps, lead);
          expect(replayOf(logOf(steps, maxBytes), pageRows, bulk)).toEqual(live);
          const tools = steps.filter((s) => s.kind === "tool").length;
          expect(live.filter((c) => c.type === "tool-input-start")).toHaveLength(tools);
          expect(live.filter((c) => c.type === "tool-output-available")).toHaveLength(tools);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("property: a background producer's log (no delta ends) replays one delta per row, cut only at marks, to the same message", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        (steps, maxBytes, pageRows, bulk) => {
          const log = logOf(steps, maxBytes, { recorded: false });
          const replay = replayOf(log, pageRows, bulk);
          expect(replay).toEqual(replayOf(log, 1, false));
          const cuts = log.rows.reduce((sum, row) => sum + (row.deltaEnds?.length ?? 1), 0);
          expect(replay.filter((c) => c.type === "text-delta")).toHaveLength(cuts);
          expect(log.rows.filter((row) => row.deltaEnds !== null).length).toBeLessThanOrEqual(
            log.marks.length,
          );
          // The same parts in the same places as a live reader got: only the cuts between deltas differ.
          expect(joinedDeltas(replay)).toEqual(joinedDeltas(liveOf(steps, 1 << 20)));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("property: a client holding a dead live producer's undurable chunks resumes by index to exactly the log (reset-step)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.array(step, { minLength: 0, maxLength: 20 }),
        fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        async (steps, continuation, maxBytes, lead, pageRows, continued) => {
          const held = liveOf(steps, lead, true);
          const durable = steps.slice(0, steps.map((s) => s.kind).lastIndexOf("checkpoint") + 1);
          const first = logOf(durable, maxBytes, { runner: "live" });
          const start = first.rows.at(-1)?.endOffset ?? 0;
          const second = continued
            ? logOf(continuation, maxBytes, { epoch: 2, start, runner: "worker" })
            : { rows: [], marks: [] };
          const log = { rows: [...first.rows, ...second.rows], marks: [...first.marks, ...second.marks] };
          const terminal: UiTerminal = continued
            ? { status: "completed" }
            : { status: "failed", error: { code: "internal:session", message: "The runner died." } };
          const canonical = replayOf(log, pageRows, pageRows % 2 === 0, terminal);
          const text = log.rows.map((row) => row.text).join("");
          const reset = canonical.findIndex((chunk) => chunk.type === "reset-step");
          // The dead producer's step (open from its runner mark) is closed by padding and a reset;
          // the client's count lies before the reset.
          expect(reset).toBeGreaterThanOrEqual(held.length);
          expect(canonical[reset - SEAM_PADDING]?.type).toBe("data-rewind");
          expect(canonical[reset - SEAM_PADDING - 1]?.type).not.toBe("data-rewind");
          expect(await assembledText([...held, ...canonical.slice(held.length)])).toBe(text);
          expect(await assembledText(canonical)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a live producer that ended on its own (a clean runner mark) leaves no reset at its seam", () => {
    const steps: Step[] = [{ kind: "text", text: "ab" }, { kind: "checkpoint" }, { kind: "text", text: "c" }];
    const first = logOf(steps, 16, { runner: "live" });
    const clean = { at: 3, epoch: 1, seq: 1, kind: "runner" as const, data: { runner: "live", clean: true } };
    const second = logOf([{ kind: "text", text: "d" }], 16, { epoch: 2, start: 3, runner: "worker" });
    const rows = [...first.rows, ...second.rows];
    const dirty = replayOf({ rows, marks: [...first.marks, ...second.marks] }, 4, false);
    const tidy = replayOf({ rows, marks: [...first.marks, clean, ...second.marks] }, 4, false);
    expect(dirty.filter((chunk) => chunk.type === "reset-step")).toHaveLength(1);
    expect(tidy.filter((chunk) => chunk.type === "reset-step" || chunk.type === "data-rewind")).toEqual([]);
    expect(dirty.length - tidy.length).toBe(SEAM_PADDING + 1 + 3); // data-runner, text-start, the text
  });

  test("a live client holds at most LIVE_LEAD_EVENTS deltas and marks the log lacks, and nothing before its step is in the log", () => {
    const feed = new SessionFeed();
    const sent: SessionEvent[] = [];
    feed.subscribe((event: SessionEvent) => sent.push(event));
    const lead = new LiveLead(feed, 0, 1 << 20, 3);
    lead.push("a", 1);
    lead.landed({ to: 0, marks: [] });
    expect(sent).toEqual([]);
    lead.landed({ to: 1, marks: [] });
    for (let offset = 2; offset <= 9; offset++) lead.push("a", offset);
    // "a" at 1 is durable; three more may be out before the next write lands.
    expect(sent.map((event) => (event.type === "delta" ? event.offset : null))).toEqual([1, 2, 3, 4]);
    lead.landed({ to: 3, marks: [] });
    expect(sent.at(-1)).toMatchObject({ type: "delta", offset: 6, ends: [5, 6] });
  });

  test("the live runner's first write (its runner mark) puts its step in the log: undurable text may go out after it, not before", () => {
    const feed = new SessionFeed();
    const sent: SessionEvent[] = [];
    feed.subscribe((event: SessionEvent) => sent.push(event));
    const lead = new LiveLead(feed, 0, 1 << 20);
    const runner = { seq: 0, at: 0, kind: "runner" as const, data: { runner: "live" } };
    lead.mark(runner);
    lead.push("a", 1);
    expect(sent).toEqual([]);
    lead.landed({ to: 0, marks: [runner] });
    expect(sent.map((event) => event.type)).toEqual(["mark", "delta"]);
    // Replayed, the runner mark alone opens the step the client saw.
    const sequencer = new UiChunkSequencer(meta);
    expect(sequencer.mark(runner, 1).map((chunk) => chunk.type)).toEqual(["start-step", "data-runner"]);
  });
});

/** Chunks with each run of `text-delta`s of one text part joined into one. */
function joinedDeltas(chunks: UiChunk[]): UiChunk[] {
  const joined: UiChunk[] = [];
  for (const chunk of chunks) {
    const last = joined.at(-1);
    if (chunk.type === "text-delta" && last?.type === "text-delta" && last.id === chunk.id)
      joined[joined.length - 1] = { ...last, delta: last.delta + chunk.delta };
    else joined.push(chunk);
  }
  return joined;
}

/** Deltas as a run of UTF-8 inside a larger buffer (a row's bytes, the run starting past its start). */
function textRunOf(deltas: string[]): UiTextRun {
  const bounds = [3];
  for (const delta of deltas) bounds.push(bounds.at(-1)! + Buffer.byteLength(delta));
  return { utf8: Buffer.from(`a\u00e9${deltas.join("")}z`), bounds };
}

/** The bytes of a UI message stream whose chunks `write` sends, read from `startIndex`. */
async function streamBytes(startIndex: number, write: (writer: UiChunkWriter) => void): Promise<string> {
  const body = createUiMessageStream(
    (writer) => {
      write(writer);
      writer.done();
    },
    { startIndex },
  );
  return new Response(body).text();
}

describe("the UI chunk writer", () => {
  test("property: text deltas written in bulk are the very bytes of writing each chunk, from any startIndex", async () => {
    const characters = ["a", '"', "\\", "\n", "é", "🚀", String.fromCharCode(1), "\u2028", " "];
    const delta = fc
      .array(fc.constantFrom(...characters), { minLength: 1, maxLength: 5 })
      .map((c) => c.join(""));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(delta, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 30 }),
        async (runs, startIndex) => {
          const bulk = await streamBytes(startIndex, (writer) => {
            for (const [i, deltas] of runs.entries()) writer.writeTextRun(`text-${i}`, textRunOf(deltas));
          });
          const each = await streamBytes(startIndex, (writer) => {
            for (const [i, deltas] of runs.entries())
              for (const text of deltas) writer.write({ type: "text-delta", id: `text-${i}`, delta: text });
          });
          expect(bulk).toBe(each);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("delta ends read as a bigint[] literal parse to the offsets", () => {
    expect(parseOffsetArray("{}")).toEqual([]);
    expect(parseOffsetArray("{7}")).toEqual([7]);
    expect(parseOffsetArray("{64,128,4294967296}")).toEqual([64, 128, 4294967296]);
  });
});
