// The import graph of the repo, read by dpdm (the TypeScript parser, the tsconfig paths) with two
// rules (issue 17, point 6):
//
// 1. No import cycles, anywhere in the repo, `import type` included: a cycle of types is still two
//    files that cannot be read one without the other.
// 2. No upward imports in lib/. lib/ stands on the floors of `FLOORS` below (lowest first); a file
//    may import only from its own floor or a lower one, and nothing from outside lib/ (app/, dev/,
//    trigger/, scripts/, bench/, tests/). Two exceptions, both `import type` only:
//      - task definitions from trigger/ (lib/jobs and lib/notify type their dispatch by the task);
//      - lib/db from lib/session (the port types lib/db implements); lib/db imports no value of
//        lib/session.
//    A new folder of lib/ must be given a floor here before it can be imported.
import path from "node:path";
import { type Dependency, type DependencyTree, parseCircular, parseDependencyTree } from "dpdm";
import { beforeAll, describe, expect, test } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** lib/ from the base floor up; the key is a file or a folder of lib/. */
const FLOORS: string[][] = [
  [
    "lib/lifecycle.ts",
    "lib/credits.ts",
    "lib/errors.ts",
    "lib/ids.ts",
    "lib/log.ts",
    "lib/elapsed.ts",
    "lib/observers.ts",
  ],
  ["lib/agent"],
  ["lib/env.ts"],
  ["lib/db", "lib/http", "lib/auth", "lib/doctor"],
  ["lib/jobs", "lib/notify"],
  // lib/runtime composes the process (lib/db, lib/realtime, lib/session) and is passed to lib/session.
  ["lib/realtime", "lib/session", "lib/runtime"],
  // Clients of sessions: protocol encoders over the session log (Durable Streams), the Telegram bot.
  ["lib/ds", "lib/telegram", "lib/ui-stream"],
];

const SOURCES = ["lib", "app", "dev", "trigger", "scripts", "bench", "tests"].flatMap((dir) => [
  `${dir}/**/*.ts`,
  `${dir}/**/*.tsx`,
]);

type Edge = { from: string; to: string; typeOnly: boolean };

/** The floor of a file of lib/ (undefined outside lib/ or for a part of lib/ missing from `FLOORS`). */
function floorOf(file: string): number | undefined {
  const index = FLOORS.findIndex((floor) => floor.some((key) => file === key || file.startsWith(`${key}/`)));
  return index === -1 ? undefined : index;
}

/** Every import of a repo file by a file of lib/ that breaks rule 2, as "from -> to". */
function upwardImports(edges: Edge[]): string[] {
  const broken = edges.filter(({ from, to, typeOnly }) => {
    if (!from.startsWith("lib/")) return false;
    if (typeOnly && to.startsWith("trigger/")) return false;
    if (typeOnly && from.startsWith("lib/db/") && to.startsWith("lib/session/")) return false;
    const mine = floorOf(from);
    const theirs = floorOf(to);
    return mine === undefined || theirs === undefined || theirs > mine;
  });
  return broken.map(({ from, to, typeOnly }) => `${from} -> ${to}${typeOnly ? " (type)" : ""}`);
}

/** The repo's own imports (not node_modules, not node:), each marked type-only or not. */
function repoEdges(all: DependencyTree, values: DependencyTree): Edge[] {
  const inRepo = (id: string | null): id is string =>
    id !== null && !id.includes("node_modules/") && !id.startsWith("node:") && !path.isAbsolute(id);
  const edges: Edge[] = [];
  for (const [from, deps] of Object.entries(all)) {
    const valueTargets = new Set((values[from] ?? []).map((dep) => dep.id));
    for (const dep of deps ?? []) {
      if (inRepo(dep.id)) edges.push({ from, to: dep.id, typeOnly: !valueTargets.has(dep.id) });
    }
  }
  return edges;
}

async function readTree(transform: boolean): Promise<DependencyTree> {
  // transform: compile each file first, as tsc would, so that imports of types alone drop out.
  return parseDependencyTree(SOURCES, { cwd: root, context: root, tsconfig: "tsconfig.json", transform });
}

describe("the import graph", () => {
  let all: DependencyTree;
  let edges: Edge[];

  beforeAll(async () => {
    all = await readTree(false);
    edges = repoEdges(all, await readTree(true));
  });

  test("reads the repo: lib/, app/, dev/, trigger/ and the tests are all in it", () => {
    const files = Object.keys(all);
    for (const file of [
      "lib/env.ts",
      "lib/session/run-session.ts",
      "app/layout.tsx",
      "dev/realtime/channel.ts",
    ]) {
      expect(files).toContain(file);
    }
    expect(edges).toContainEqual({
      from: "lib/db/session-finish.ts",
      to: "lib/lifecycle.ts",
      typeOnly: false,
    });
  });

  test("has no cycle, type imports included", () => {
    expect(parseCircular(all).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  test("has no upward import in lib/ (the floors above; only `import type` of tasks and ports)", () => {
    expect(upwardImports(edges)).toEqual([]);
  });

  test("the rules see what they forbid", () => {
    // dpdm's enum of import kinds is not exported; its value is the name.
    const staticImport = "StaticImport" as Dependency["kind"];
    const cyclic: DependencyTree = {
      "a.ts": [{ issuer: "a.ts", request: "./b.ts", kind: staticImport, id: "b.ts" }],
      "b.ts": [{ issuer: "b.ts", request: "./a.ts", kind: staticImport, id: "a.ts" }],
    };
    expect(parseCircular(cyclic)).toHaveLength(1);
    expect(
      upwardImports([
        { from: "lib/db/sessions.ts", to: "lib/session/run-session.ts", typeOnly: false },
        { from: "lib/db/sessions.ts", to: "lib/session/ports.ts", typeOnly: true },
        { from: "lib/session/run-session.ts", to: "app/page.tsx", typeOnly: true },
        { from: "lib/jobs/dispatch.ts", to: "trigger/agent-session.ts", typeOnly: false },
        { from: "lib/jobs/dispatch.ts", to: "trigger/agent-session.ts", typeOnly: true },
        { from: "lib/env.ts", to: "lib/agent/types.ts", typeOnly: false },
        { from: "lib/agent/types.ts", to: "lib/env.ts", typeOnly: true },
        { from: "lib/new-folder/x.ts", to: "lib/log.ts", typeOnly: false },
      ]),
    ).toEqual([
      "lib/db/sessions.ts -> lib/session/run-session.ts",
      "lib/session/run-session.ts -> app/page.tsx (type)",
      "lib/jobs/dispatch.ts -> trigger/agent-session.ts",
      "lib/agent/types.ts -> lib/env.ts (type)",
      "lib/new-folder/x.ts -> lib/log.ts",
    ]);
  });
});
