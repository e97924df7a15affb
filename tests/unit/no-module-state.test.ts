// No state in lib/'s modules (issue 17, point 2): a process's shared things (settings, pools, LISTEN
// hubs, the JWKS cache, the dispatcher) are members of the runtime its entry point builds and passes
// in. The Postgres pool behind `getSql` (lib/db/client.ts) is the one holder allowed; the runtime's
// own holder lives outside lib/ (process-runtime.ts, for Next.js route handlers).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** The one module of lib/ allowed to keep process state, and why. */
const ALLOWED = new Set(["lib/db/client.ts"]);

/** Module-level lines that hold state: a `let`/`var`, a `globalThis` holder, a cache map or an empty set. */
const STATE = [
  /^(export\s+)?(let|var)\s+\w+/,
  /^(export\s+)?const\s+\w+\s*(:[^=]+)?=\s*\(?\s*globalThis\b/,
  /^(export\s+)?const\s+\w+\s*(:[^=]+)?=\s*new\s+(Map|WeakMap|WeakRef)\b/,
  /^(export\s+)?const\s+\w+\s*(:[^=]+)?=\s*new\s+(Set|WeakSet)(<[^>]*>)?\(\s*\)/,
];

function libFiles(): string[] {
  return readdirSync(path.join(root, "lib"), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file))
    .map((file) => `lib/${file}`);
}

/** Every module-level line of `text` that holds state (indented lines are inside a scope). */
function moduleStateLines(text: string): string[] {
  return text.split("\n").filter((line) => STATE.some((pattern) => pattern.test(line)));
}

test("the detector sees each kind of module state", () => {
  const sample = [
    "let cached: Env | undefined;",
    "export let count = 0;",
    "const holder = globalThis as unknown as { overtimeRuntime?: Runtime };",
    "const byUrl = new Map<string, JWTVerifyGetKey>();",
    "const seen = new Set<string>();",
    "const KINDS = new Set(['a', 'b']);",
    "  let local = 1;",
    "function f() {}",
  ].join("\n");
  expect(moduleStateLines(sample)).toEqual(sample.split("\n").slice(0, 5));
});

test("no module of lib/ keeps process state but the Postgres pool (getSql)", () => {
  const found = libFiles()
    .filter((file) => !ALLOWED.has(file))
    .flatMap((file) =>
      moduleStateLines(readFileSync(path.join(root, file), "utf8")).map((line) => `${file}: ${line.trim()}`),
    );
  expect(found).toEqual([]);
});

test("the pool's module holds only the pool", () => {
  const lines = moduleStateLines(readFileSync(path.join(root, "lib/db/client.ts"), "utf8"));
  expect(lines).toEqual([expect.stringContaining("globalThis as unknown as { overtimeSql?: Sql }")]);
});
