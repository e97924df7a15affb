import { getSql } from "../lib/db/client.ts";
import { parseEnv } from "../lib/env.ts";
import { createRuntime, type Runtime } from "../lib/runtime/runtime.ts";

let runtime: Runtime | undefined;

/** The task process's one runtime, built by its first run and reused by every later run. */
export function taskRuntime(): Runtime {
  if (!runtime) {
    const env = parseEnv();
    runtime = createRuntime({ sql: getSql(env), env });
  }
  return runtime;
}
