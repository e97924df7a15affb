import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/doctor.ts` (what `npm run doctor --` runs) as a child and collects its output. */
export function runDoctorCli(args: string[]): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(root, "node_modules", ".bin", "tsx"),
      [path.join(root, "scripts", "doctor.ts"), ...args],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
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
