import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planGeneration } from "../../dev/agent-sim/generation.ts";
import { parseSimSettings, SimDirectiveError } from "../../dev/agent-sim/sim-directives.ts";
import { simulatedPieces, simulatedText } from "../../dev/agent-sim/text.ts";

describe("simulatedText", () => {
  it("is a pure function of seed and tokens (numeric and string seeds agree)", () => {
    expect(simulatedText("abc", 50)).toBe(simulatedText("abc", 50));
    expect(simulatedText(42, 50)).toBe(simulatedText("42", 50));
    expect(simulatedText("abc", 50)).not.toBe(simulatedText("abd", 50));
  });

  it("always contains two-, three- and four-byte UTF-8 (accents, CJK, emoji)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 3, max: 300 }), (seed, tokens) => {
        const byteLengths = new Set([...simulatedText(seed, tokens)].map((char) => Buffer.byteLength(char)));
        expect([...byteLengths].sort()).toEqual([1, 2, 3, 4]);
      }),
    );
  });

  it("has exactly `tokens` pieces, and a shorter text is a prefix of a longer one", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 200 }), fc.nat({ max: 200 }), (seed, a, b) => {
        expect(simulatedPieces(seed, a)).toHaveLength(a);
        const [short, long] = a < b ? [a, b] : [b, a];
        expect(simulatedText(seed, long).startsWith(simulatedText(seed, short))).toBe(true);
      }),
    );
  });
});

describe("#sim directives", () => {
  it("uses the defaults and the message text as seed without a #sim line", () => {
    expect(parseSimSettings("What is up?")).toEqual({
      tokens: 400,
      rate: 80,
      seed: "What is up?",
      stages: 0,
    });
  });

  it("reads every key", () => {
    expect(parseSimSettings("#sim tokens=12 rate=0 seed=s1 stages=2 stall=500@3 fault=drop@7\nrest")).toEqual(
      {
        tokens: 12,
        rate: 0,
        seed: "s1",
        stages: 2,
        stall: { ms: 500, afterToken: 3 },
        fault: { kind: "drop", afterToken: 7 },
      },
    );
    for (const fault of ["http500", "http429", "splitutf8"] as const) {
      expect(parseSimSettings(`#sim fault=${fault}`).fault).toEqual({ kind: fault });
    }
    expect(parseSimSettings("#sim fault=malformed@0").fault).toEqual({ kind: "malformed", afterToken: 0 });
    expect(parseSimSettings("#sim fault=failed@9").fault).toEqual({ kind: "failed", afterToken: 9 });
  });

  it("rejects unknown keys and bad values with a message naming them", () => {
    expect(() => parseSimSettings("#sim colour=blue")).toThrow(SimDirectiveError);
    expect(() => parseSimSettings("#sim tokens=many")).toThrow(/tokens=many/);
    expect(() => parseSimSettings("#sim fault=explode")).toThrow(/fault=explode/);
    expect(() => parseSimSettings("#sim stall=5")).toThrow(/MS@T/);
  });

  it("only reads #sim from the first line", () => {
    expect(parseSimSettings("hello\n#sim tokens=3").tokens).toBe(400);
    expect(parseSimSettings("#simulate tokens=3").tokens).toBe(400);
  });

  it("#sim echo answers the rest of the message verbatim, whatever it holds", () => {
    const text = "Line one ![x](https://a.example/p.png)\n\n<script>alert(1)</script>  \n";
    const settings = parseSimSettings(`#sim echo rate=0\n${text}`);
    expect(settings.echo).toBe(text);
    const plan = planGeneration(settings);
    expect(plan.pieces.join("")).toBe(text);
    expect(plan.pieces.length).toBeGreaterThan(3);
    expect(planGeneration(settings, 2).pieces.join("")).toBe("Line one");
    expect(parseSimSettings("#sim echo").echo).toBe("");
    expect(() => parseSimSettings("#sim echo=yes\nx")).toThrow(/echo takes no value/);
  });
});
