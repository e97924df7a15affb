import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTriggerApiStandIn, type TriggerApiStandIn } from "../../dev/trigger-api/server.ts";
import { runCommand } from "../support/run-command.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const bin = path.join(root, "node_modules", ".bin");
const ACCESS_TOKEN = "tr_pat_overtime_standin";
const PROJECT_REF = "proj_overtime_dryrun";

let standIn: TriggerApiStandIn;
let home: string;
let buildDir: string | undefined;

beforeAll(async () => {
  standIn = await startTriggerApiStandIn({ accessToken: ACCESS_TOKEN });
  // The CLI keeps profiles under $HOME; this run must not read or write the developer's.
  home = await mkdtemp(path.join(tmpdir(), "overtime-trigger-home-"));
});
afterAll(async () => {
  await standIn?.close();
  await rm(home, { recursive: true, force: true });
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

async function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const result = await runCommand(command, args, {
    cwd,
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, HOME: home, ...env },
  });
  return { code: result.code, output: result.stdout + result.stderr };
}

/** The task ids declared in trigger/*.ts (each task's `id: "…"`). */
async function declaredTaskIds(): Promise<string[]> {
  const ids: string[] = [];
  for (const file of await readdir(path.join(root, "trigger"))) {
    if (!file.endsWith(".ts")) continue;
    const source = await readFile(path.join(root, "trigger", file), "utf8");
    for (const match of source.matchAll(/\bid:\s*"([a-z0-9-]+)"/g)) ids.push(match[1]!);
  }
  return ids.sort();
}

test("the pinned CLI's deploy --dry-run builds the tasks, and indexing the build lists every task in trigger/", async () => {
  // The CLI that builds is pinned to the SDK the tasks are written against.
  const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
  expect(pkg.devDependencies["trigger.dev"]).toBe(pkg.dependencies["@trigger.dev/sdk"]);
  expect(pkg.devDependencies["trigger.dev"]).toMatch(/^4\.\d+\.\d+$/);
  const expected = await declaredTaskIds();
  expect(expected).toEqual(expect.arrayContaining(["agent-session", "reconcile-sessions"]));

  // 1. Trigger.dev's own build, exactly as `deploy` runs it, stopping before anything is uploaded.
  const deploy = await run(
    path.join(bin, "trigger"),
    ["deploy", "--dry-run", "--skip-update-check", "--plain"],
    root,
    {
      CI: "1",
      TRIGGER_TELEMETRY_DISABLED: "1",
      TRIGGER_ACCESS_TOKEN: ACCESS_TOKEN,
      TRIGGER_API_URL: standIn.url,
      TRIGGER_PROJECT_REF: PROJECT_REF,
    },
  );
  buildDir = /Dry run complete\. View the built project at (\S+)/.exec(deploy.output)?.[1];
  expect(deploy.code, deploy.output).toBe(0);
  expect(buildDir, deploy.output).toBeDefined();
  expect(standIn.unanswered).toEqual([]);
  expect(standIn.requests).toEqual([
    "GET /api/v2/whoami",
    `GET /api/v1/projects/${PROJECT_REF}/prod`,
    `GET /api/v1/projects/${PROJECT_REF}/prod/deploy-settings`,
    `GET /api/v1/projects/${PROJECT_REF}/envvars`,
  ]);

  // 2. The image's indexing step on the build: it imports every bundled task file under Node 24 (a
  //    Node-only import, a missing external or a broken alias fails here) and writes index.json.
  const manifestPath = path.join(buildDir!, "build.json");
  const manifestText = await readFile(manifestPath, "utf8");
  const manifest = JSON.parse(manifestText) as { externals: { name: string; version: string }[] };
  // The image runs from /app; here the same files run from the build folder.
  await writeFile(manifestPath, manifestText.replaceAll('"/app/', `"${buildDir}/`));
  for (const external of manifest.externals) {
    const installed = JSON.parse(
      await readFile(path.join(root, "node_modules", external.name, "package.json"), "utf8"),
    );
    expect(installed.version, `external ${external.name}`).toBe(external.version);
    await symlink(
      path.join(root, "node_modules", external.name),
      path.join(buildDir!, "node_modules", external.name),
    );
  }
  const index = await run(
    path.join(bin, "node"),
    [
      path.join(
        buildDir!,
        "node_modules",
        "trigger.dev",
        "dist",
        "esm",
        "entryPoints",
        "managed-index-controller.mjs",
      ),
    ],
    buildDir!,
    {
      NODE_ENV: "production",
      TRIGGER_API_URL: standIn.url,
      TRIGGER_SECRET_KEY: "tr_prod_standin",
      TRIGGER_PROJECT_REF: PROJECT_REF,
      TRIGGER_DEPLOYMENT_ID: "deployment_dryrun",
    },
  );
  expect(index.code, index.output).toBe(0);
  const worker = JSON.parse(await readFile(path.join(buildDir!, "index.json"), "utf8")) as {
    tasks: { id: string }[];
  };
  expect(worker.tasks.map((task) => task.id).sort()).toEqual(expected);
  expect(standIn.backgroundWorkers.map((body) => body.metadata.tasks.map((task) => task.id).sort())).toEqual([
    expected,
  ]);
  expect(standIn.unanswered).toEqual([]);
}, 240_000);
