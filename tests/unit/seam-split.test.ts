import { describe, expect, test } from "vitest";
import { splitAtByteOffsets } from "../../app/session-stream/seam-split.ts";

describe("the page's seams", () => {
  test("seams split the text at byte offsets without breaking a character", () => {
    const text = "ab漢字🚀cd";
    const seam = Buffer.byteLength("ab漢");
    expect(splitAtByteOffsets(text, [seam])).toEqual(["ab漢", "字🚀cd"]);
    expect(splitAtByteOffsets(text, [Buffer.byteLength(text)])).toEqual([text, ""]);
  });
});
