import { z } from "zod";

// The parts of vitest's JSON report the verdict reads.
const reportSchema = z.object({
  success: z.boolean(),
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  numFailedTestSuites: z.number(),
  testResults: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      assertionResults: z.array(z.object({ status: z.string() })),
    }),
  ),
});

export interface VitestSummary {
  ok: boolean;
  passed: number;
  /** Failed tests plus files that failed outside any test (set-up, hooks, import). */
  failed: number;
  /** `vitest: N passed, N failed`. */
  line: string;
}

/**
 * The verdict of a vitest run: passes only when vitest exited 0 and its report says every test,
 * suite and file succeeded. A file whose `beforeAll` throws reports its tests as skipped and vitest
 * may still exit 0, so the report, not the exit code alone, decides.
 */
export function summariseVitestRun(exitCode: number, reportText: string | undefined): VitestSummary {
  const parsed = reportText === undefined ? undefined : reportSchema.safeParse(safeJson(reportText));
  if (!parsed?.success) {
    // vitest stopped before writing its report (e.g. the global set-up failed; its line is above).
    return { ok: false, passed: 0, failed: 1, line: "vitest: 0 passed, 1 failed" };
  }
  const report = parsed.data;
  const filesFailedOutsideTests = report.testResults.filter(
    (file) => file.status === "failed" && !file.assertionResults.some((test) => test.status === "failed"),
  ).length;
  let failed = report.numFailedTests + filesFailedOutsideTests;
  const ok = exitCode === 0 && report.success && report.numFailedTestSuites === 0 && failed === 0;
  // Something failed that no test or file owns (a describe-level hook, an unhandled error).
  if (!ok && failed === 0) failed = Math.max(report.numFailedTestSuites, 1);
  return {
    ok,
    passed: report.numPassedTests,
    failed,
    line: `vitest: ${report.numPassedTests} passed, ${failed} failed`,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
