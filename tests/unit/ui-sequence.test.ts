// Issue 18: chunk N is the same chunk on every read, tool calls and data parts included. The live path
// (LiveLead → feed → liveChunks) and the replay (rows and marks as the checkpointer writes them →
// LogChunkAssembler, in pages of any size) must give the very same chunks.
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
import { cutAtByteEnds, type UiChunk, UiChunkSequencer } from "../../lib/ui-stream/sequence.ts";

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
  recorded = true,
): { rows: LogRowWithDeltas[]; marks: StoredMark[] } {
  const rows: LogRowWithDeltas[] = [];
  const marks: StoredMark[] = [];
  let offset = 0;
  let batch = { start: 0, text: "", ends: [] as number[], marks: [] as StoredMark[] };
  const write = () => {
    const pieces = splitOnCharacters(batch.text, maxBytes);
    const ends = pieces.map((_, i) => batch.start + Buffer.byteLength(pieces.slice(0, i + 1).join("")));
    const starts = [batch.start, ...ends.slice(0, -1)];
    const cuts = rowDeltaEnds(starts, ends, recorded ? batch.ends : undefined, batch.marks);
    for (const [i, text] of pieces.entries()) {
      const deltaEnds = cuts[i] === null ? null : cuts[i]!.split(",").filter(Boolean).map(Number);
      rows.push({ startOffset: starts[i]!, endOffset: ends[i]!, text, epoch: 1, deltaEnds });
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
      marks.push({ at: offset, epoch: 1, seq: marks.length, ...markOf(s) });
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

/** The live response: deltas through the live lead (held past `lead` bytes until a checkpoint lands). */
function liveOf(steps: Step[], lead: number): UiChunk[] {
  const feed = new SessionFeed();
  const sequencer = new UiChunkSequencer(meta);
  const chunks = sequencer.start();
  feed.subscribe((event: SessionEvent) => chunks.push(...liveChunks(sequencer, event, 1)));
  const liveLead = new LiveLead(feed, 0, lead);
  let offset = 0;
  let seq = 0;
  for (const s of steps) {
    if (s.kind === "text") {
      offset += Buffer.byteLength(s.text);
      liveLead.push(s.text, offset);
    } else if (s.kind === "checkpoint") liveLead.durable(offset);
    else liveLead.mark({ seq: seq++, at: offset, ...markOf(s) });
  }
  liveLead.durable(offset);
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
): UiChunk[] {
  const assembler = new LogChunkAssembler(meta);
  const chunks = assembler.sequencer.start();
  for (let i = 0; i <= log.rows.length; i += pageRows) {
    const rows = log.rows.slice(i, i + pageRows);
    const end = rows.at(-1)?.endOffset ?? assembler.offset;
    const cursor = assembler.markCursor;
    const marks = log.marks.filter((m) => (cursor === null || m.seq > cursor.seq) && m.at <= end);
    // The bulk path (runs of text deltas at once) must be the very same chunks as one by one.
    const emitText = (id: string, run: UiTextRun) => {
      for (const delta of textRunDeltas(run)) chunks.push({ type: "text-delta", id, delta });
    };
    assembler.page(rows, marks, (chunk) => chunks.push(chunk), bulk ? emitText : undefined);
  }
  chunks.push(...assembler.sequencer.finish({ status: "completed" }));
  return chunks;
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
          const log = logOf(steps, maxBytes, false);
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
