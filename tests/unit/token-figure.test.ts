import { describe, expect, test } from "vitest";
import { formatTokenFigure, tokenFigure } from "../../app/components/token-figure.ts";

describe("the status bar's token figure", () => {
  test("with nothing reported, it is estimated from the bytes (4 a token) and grows with them", () => {
    expect(tokenFigure(null, 0)).toBeNull();
    expect(tokenFigure(null, 1)).toEqual({ tokens: 1, estimated: true });
    expect(tokenFigure(null, 4000)).toEqual({ tokens: 1000, estimated: true });
    expect(tokenFigure(null, 4004)).toEqual({ tokens: 1001, estimated: true });
  });

  test("a reported count the bytes already exceed is stale: the estimate wins", () => {
    // Anthropic's message_start reports 1 or 2 output tokens; hundreds of words follow.
    expect(tokenFigure(2, 2400)).toEqual({ tokens: 600, estimated: true });
  });

  test("a reported count at least the estimate is shown as reported", () => {
    expect(tokenFigure(700, 2400)).toEqual({ tokens: 700, estimated: false });
    expect(tokenFigure(5, 0)).toEqual({ tokens: 5, estimated: false });
    expect(tokenFigure(0, 0)).toBeNull();
  });

  test("an estimate reads 'about'; a report does not", () => {
    expect(formatTokenFigure({ tokens: 1234, estimated: true })).toBe("about 1,234 tokens");
    expect(formatTokenFigure({ tokens: 1234, estimated: false })).toBe("1,234 tokens");
    expect(formatTokenFigure({ tokens: 1, estimated: false })).toBe("1 token");
  });
});
