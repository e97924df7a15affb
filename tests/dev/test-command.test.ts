import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, test } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Runs `npm test`'s wrapper (scripts/test.ts, without the Next.js build) on a throw-away test file
 * generated into a temp folder with its own vitest config (globals on; a global set-up if given).
 */
async function runWrapperOn(
  testFile: string,
  globalSetup?: string,
): Promise<{ code: number | null; output: string; closing: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "overtime-throwaway-"));
  dirs.push(dir);
  const setup = globalSetup === undefined ? "" : ', globalSetup: ["./setup.mjs"]';
  await writeFile(
    path.join(dir, "vitest.config.mjs"),
    `export default { test: { include: ["*.test.ts"], globals: true${setup} } };\n`,
  );
  if (globalSetup !== undefined) await writeFile(path.join(dir, "setup.mjs"), globalSetup);
  await writeFile(path.join(dir, "throwaway.test.ts"), testFile);
  const child = spawn(
    path.join(root, "node_modules", ".bin", "tsx"),
    [path.join(root, "scripts", "test.ts"), "--no-build", "--root", dir],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const closing = output.trim().split("\n").at(-1) ?? "";
  return { code, output, closing };
}

function failedCount(closing: string): number {
  const match = /^vitest: (\d+) passed, (\d+) failed$/.exec(closing);
  if (!match) throw new Error(`not a closing line: ${closing}`);
  return Number(match[2]);
}

/** Each test runs the whole test command on a throwaway project. */
const WRAPPER_RUN = { timeout: 120_000 };

test(
  "a file whose beforeAll throws makes the test command exit non-zero and counts as failed",
  WRAPPER_RUN,
  async () => {
    const run = await runWrapperOn(
      'beforeAll(() => {\n  throw new Error("set-up fails");\n});\ntest("never runs", () => {});\n',
    );
    expect(run.code, run.output).not.toBe(0);
    expect(failedCount(run.closing)).toBeGreaterThanOrEqual(1);
    expect(run.closing).toBe("vitest: 0 passed, 1 failed");
  },
);

test("a failing test makes the test command exit non-zero and is counted once", WRAPPER_RUN, async () => {
  const run = await runWrapperOn(
    'test("passes", () => {});\ntest("fails", () => {\n  expect(1).toBe(2);\n});\n',
  );
  expect(run.code, run.output).not.toBe(0);
  expect(run.closing).toBe("vitest: 1 passed, 1 failed");
});

test("a file whose tests all pass exits 0 with a failed count of 0", WRAPPER_RUN, async () => {
  const run = await runWrapperOn('test("passes", () => {\n  expect(1 + 1).toBe(2);\n});\n');
  expect(run.code, run.output).toBe(0);
  expect(run.closing).toBe("vitest: 1 passed, 0 failed");
});

test(
  "a global set-up that throws makes the test command exit non-zero and counts as failed",
  WRAPPER_RUN,
  async () => {
    const run = await runWrapperOn(
      'test("passes", () => {});\n',
      'export default function setup() {\n  throw new Error("no database");\n}\n',
    );
    expect(run.code, run.output).not.toBe(0);
    expect(run.closing).toBe("vitest: 0 passed, 1 failed");
  },
);
