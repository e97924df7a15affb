import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OutputLog, splitAtByteOffsets } from "../../app/session-stream/output-log.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";

/** Cuts `text` into deltas at character boundaries; each carries the byte offset after it. */
function deltasOf(text: string, cuts: number[]): { end: number; text: string }[] {
  const characters = [...text];
  const sortedCuts = [...new Set(cuts.map((cut) => cut % (characters.length + 1)))].sort((a, b) => a - b);
  const deltas: { end: number; text: string }[] = [];
  let previous = 0;
  let offset = 0;
  for (const cut of [...sortedCuts, characters.length]) {
    if (cut <= previous) continue;
    const piece = characters.slice(previous, cut).join("");
    offset += Buffer.byteLength(piece);
    deltas.push({ end: offset, text: piece });
    previous = cut;
  }
  return deltas;
}

describe("the browser's byte-offset output log", () => {
  const truth = simulatedText("output-log", 200);

  test("every byte once, whatever repeats and overlaps the connections deliver (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (liveCuts, replayCuts, replayStarts) => {
          const log = new OutputLog();
          const live = deltasOf(truth, liveCuts);
          const replay = deltasOf(truth, replayCuts);
          // The live stream breaks somewhere; replays restart from earlier points and overlap it.
          const breakAt = live.length > 0 ? liveCuts.length % live.length : 0;
          for (const delta of live.slice(0, breakAt))
            expect(log.applyDelta(delta.end, delta.text)).toBe("appended");
          for (const start of replayStarts) {
            for (const delta of replay.slice(start % (replay.length + 1)))
              log.applyDelta(delta.end, delta.text);
          }
          for (const delta of replay) log.applyDelta(delta.end, delta.text);
          for (const delta of live) log.applyDelta(delta.end, delta.text);
          expect(log.text).toBe(truth);
          expect(log.offset).toBe(Buffer.byteLength(truth));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a delta that would leave a hole is refused, so the reader reconnects from its offset", () => {
    const log = new OutputLog();
    const [first, second, third] = deltasOf(truth, [5, 10]);
    expect(log.applyDelta(first!.end, first!.text)).toBe("appended");
    expect(log.applyDelta(third!.end, third!.text)).toBe("gap");
    expect(log.applyDelta(first!.end, first!.text)).toBe("duplicate");
    expect(log.applyDelta(second!.end, second!.text)).toBe("appended");
    expect(log.applyDelta(third!.end, third!.text)).toBe("appended");
  });

  test("seams split the text at byte offsets without breaking a character", () => {
    const text = "ab漢字🚀cd";
    const seam = Buffer.byteLength("ab漢");
    expect(splitAtByteOffsets(text, [seam])).toEqual(["ab漢", "字🚀cd"]);
    expect(splitAtByteOffsets(text, [Buffer.byteLength(text)])).toEqual([text, ""]);
  });
});
