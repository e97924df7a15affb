import { expect, test } from "vitest";
import { runScale } from "../../bench/scale.ts";
import { withStack } from "../support/fixtures.ts";

// `npm run bench -- scale` at a size a test can afford (issue 19 Figures). Only the correctness
// figures are asserted, never a timing: those are the bench's to print.
const { stack } = withStack({ app: false });

test("the scale harness: 20 background sessions across 2 workers, 2 watched; every text exact, no log for the unwatched", async () => {
  const figures = await runScale(stack, {
    sessions: 20,
    watched: 2,
    tokensPerSecond: 20,
    seconds: 4,
    workers: 2,
  });
  expect(figures.mismatches).toBe(0);
  expect(figures.unwatchedWithLog).toBe(0);
  // The watched ones were followed: their subscribers received log messages covering agent tokens.
  expect(figures.followerMs.samples).toBeGreaterThan(0);
  expect(figures.outputBytes).toBeGreaterThan(0);
}, 180_000);
