import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import {
  installDebianPackages,
  type PackageSystem,
  planDebianPackages,
} from "../../scripts/ensure-debian-packages.ts";
import { runCommand } from "../support/run-command.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const chromium = [{ command: "/usr/bin/chromium", package: "chromium" }];

/** A machine where only the `present` commands exist; apt-get "installs" by adding them. */
function fakeSystem(options: { present: string[]; isRoot: boolean; aptGet?: string; installs?: boolean }) {
  const present = new Set(options.present);
  const calls: { args: string[]; env: NodeJS.ProcessEnv }[] = [];
  const system: PackageSystem = {
    findCommand: (command) => (present.has(command) ? command : undefined),
    isRoot: options.isRoot,
    aptGet: options.aptGet,
    run(_command, args, env) {
      calls.push({ args, env });
      if (args.includes("install") && options.installs !== false) present.add("/usr/bin/chromium");
      return 0;
    },
  };
  return { system, calls };
}

test("nothing is planned when the command is there", () => {
  const { system } = fakeSystem({ present: ["/usr/bin/chromium"], isRoot: true, aptGet: "/usr/bin/apt-get" });
  expect(planDebianPackages(chromium, system)).toEqual({ action: "none" });
});

test("as root with apt-get a missing chromium is installed: one update, then one non-interactive install", () => {
  const { system, calls } = fakeSystem({ present: [], isRoot: true, aptGet: "/usr/bin/apt-get" });
  expect(planDebianPackages(chromium, system)).toEqual({ action: "install", packages: ["chromium"] });
  expect(installDebianPackages(chromium, system, () => {})).toEqual({ ok: true });
  expect(calls.map((call) => call.args.filter((arg) => !arg.startsWith("-") && !arg.includes("::")))).toEqual(
    [["update"], ["install", "chromium"]],
  );
  expect(calls[1]!.args).toContain("-y");
  expect(calls.every((call) => call.env.DEBIAN_FRONTEND === "noninteractive")).toBe(true);
});

test("an install that leaves the command missing is reported in one line", () => {
  const { system } = fakeSystem({ present: [], isRoot: true, aptGet: "/usr/bin/apt-get", installs: false });
  const result = installDebianPackages(chromium, system, () => {});
  expect(result.ok).toBe(false);
  expect(!result.ok && result.message).toMatch(
    /^apt-get installed chromium but \/usr\/bin\/chromium is still missing/,
  );
});

test("without root, or without apt-get, it stops with one line naming the package to install", () => {
  const notRoot = planDebianPackages(
    chromium,
    fakeSystem({ present: [], isRoot: false, aptGet: "/usr/bin/apt-get" }).system,
  );
  expect(notRoot).toEqual({
    action: "stop",
    message:
      "Missing /usr/bin/chromium: install the Debian package chromium (as root: apt-get install -y chromium), then run the command again.",
  });
  const noApt = planDebianPackages(chromium, fakeSystem({ present: [], isRoot: true }).system);
  expect(noApt.action).toBe("stop");
  expect(noApt.action === "stop" && noApt.message).toContain("install the Debian package chromium");
});

test("npm test's wrapper, unable to install and without Chromium, stops at once with one line saying what to install", {
  timeout: 60_000,
}, async () => {
  // CHROMIUM_PATH stands in for a machine without Chromium; a PATH holding only node hides apt-get,
  // so even root cannot install it (works from a private clone, unlike switching to another user).
  const onlyNode = await mkdtemp(path.join(tmpdir(), "overtime-only-node-"));
  await symlink(process.execPath, path.join(onlyNode, "node"));
  try {
    const { code, stdout, stderr } = await runCommand(
      path.join(root, "node_modules", ".bin", "tsx"),
      [path.join(root, "scripts", "test.ts"), "--no-build"],
      { cwd: root, env: { ...process.env, CHROMIUM_PATH: "/nonexistent/chromium", PATH: onlyNode } },
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "Missing /nonexistent/chromium: install the Debian package chromium (with this system's package manager), then run the command again.\n",
    );
  } finally {
    await rm(onlyNode, { recursive: true, force: true });
  }
});
