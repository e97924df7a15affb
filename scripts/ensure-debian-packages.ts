// System packages a command needs (Chromium for the browser tests, …), installed the way `npm run dev`
// installs npm dependencies: by itself where it can (root with apt-get), otherwise one line saying
// what to install.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

export interface DebianPackage {
  /** A command name looked up on PATH, or an absolute path that must exist and be executable. */
  command: string;
  /** The Debian package that provides it. */
  package: string;
}

/** What the machine offers; injected by tests. */
export interface PackageSystem {
  findCommand(command: string): string | undefined;
  isRoot: boolean;
  /** apt-get's path, when the machine has it. */
  aptGet: string | undefined;
  /** Runs a command without stdin; resolves with its exit code. */
  run(command: string, args: string[], env: NodeJS.ProcessEnv): number;
}

export type PackagePlan =
  | { action: "none" }
  | { action: "install"; packages: string[] }
  | { action: "stop"; message: string };

/** Decides, without side effects, whether the packages are there, can be installed, or must be asked for. */
export function planDebianPackages(wanted: DebianPackage[], system: PackageSystem): PackagePlan {
  const missing = wanted.filter((item) => !system.findCommand(item.command));
  if (missing.length === 0) return { action: "none" };
  const packages = [...new Set(missing.map((item) => item.package))];
  if (system.isRoot && system.aptGet) return { action: "install", packages };
  const commands = missing.map((item) => item.command).join(", ");
  const how = system.aptGet
    ? `as root: apt-get install -y ${packages.join(" ")}`
    : "with this system's package manager";
  return {
    action: "stop",
    message: `Missing ${commands}: install the Debian package ${packages.join(", ")} (${how}), then run the command again.`,
  };
}

/**
 * Installs what is missing (apt-get update once, then one non-interactive install) or returns the
 * one line that says what to install.
 */
export function installDebianPackages(
  wanted: DebianPackage[],
  system: PackageSystem = currentSystem(),
  log: (line: string) => void = console.log,
): { ok: true } | { ok: false; message: string } {
  const plan = planDebianPackages(wanted, system);
  if (plan.action === "none") return { ok: true };
  if (plan.action === "stop") return { ok: false, message: plan.message };
  const aptGet = system.aptGet!;
  const list = plan.packages.join(" ");
  log(`[overtime] installing the Debian package ${list} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Waits for a dpkg lock held by another apt run instead of failing at once.
  const lock = ["-o", "DPkg::Lock::Timeout=600"];
  const failed = (step: string, code: number) => ({
    ok: false as const,
    message: `apt-get ${step} exited with ${code} while installing ${list}; install it yourself (as root: apt-get install -y ${list}), then run the command again.`,
  });
  const updated = system.run(aptGet, [...lock, "-qq", "update"], env);
  if (updated !== 0) return failed("update", updated);
  const installed = system.run(aptGet, [...lock, "-y", "-qq", "install", ...plan.packages], env);
  if (installed !== 0) return failed("install", installed);
  const after = planDebianPackages(wanted, { ...system, isRoot: false });
  if (after.action !== "none") {
    const still = wanted.filter((item) => !system.findCommand(item.command)).map((item) => item.command);
    return {
      ok: false,
      message: `apt-get installed ${list} but ${still.join(", ")} is still missing; check the path, then run the command again.`,
    };
  }
  return { ok: true };
}

/** For entry points: installs what is missing, or prints the one line that says what to install and exits 1. */
export function ensureDebianPackages(wanted: DebianPackage[]): void {
  const result = installDebianPackages(wanted);
  if (!result.ok) {
    console.error(result.message);
    process.exit(1);
  }
}

/** This machine. */
export function currentSystem(): PackageSystem {
  const findCommand = (command: string): string | undefined => {
    const candidates = command.includes("/")
      ? [command]
      : (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, command));
    return candidates.find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  };
  return {
    findCommand,
    isRoot: process.getuid?.() === 0,
    aptGet: findCommand("apt-get"),
    run: (command, args, env) =>
      spawnSync(command, args, { env, stdio: ["ignore", "inherit", "inherit"] }).status ?? 1,
  };
}
