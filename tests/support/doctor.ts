import path from "node:path";
import { type CommandRun, runCommand } from "./run-command.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

export type DoctorRun = CommandRun;

/** Runs `npm run -s doctor -- <args>` (`-s`: npm's own banner would precede the JSON) in the project. */
export function runDoctorCli(args: string[], env: Record<string, string> = {}): Promise<DoctorRun> {
  return runCommand("npm", ["run", "-s", "doctor", "--", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
}

export interface DoctorJson {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix: string }[];
}

/** The `--json` report, with a readable failure when the output is not JSON. */
export function doctorJson(run: DoctorRun): DoctorJson {
  try {
    return JSON.parse(run.stdout) as DoctorJson;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

/** The checks that failed, by name. */
export function failedChecks(report: DoctorJson): string[] {
  return report.checks.filter((check) => !check.ok).map((check) => check.name);
}
