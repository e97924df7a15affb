import { getSql } from "../lib/db/client.ts";
import { getEnv } from "../lib/env.ts";
import { createRuntime, type Runtime } from "../lib/runtime/runtime.ts";

let runtime: Runtime | undefined;

/** The task process's one runtime, built by its first run and reused by every later run. */
export function taskRuntime(): Runtime {
  runtime ??= createRuntime({ sql: getSql(), env: getEnv() });
  return runtime;
}
