import type { Runtime } from "./lib/runtime/runtime.ts";

// The one process-wide holder of the runtime, outside lib/ (lib/ takes the runtime as a parameter).
// On globalThis because Next.js bundles instrumentation.ts and each route separately (module state
// is not shared between them) and its dev server reloads modules.
const holder = globalThis as unknown as { overtimeRuntime?: Runtime };

/** Makes `runtime` the process's, for route handlers (instrumentation.ts, once at start-up). */
export function registerProcessRuntime(runtime: Runtime): void {
  holder.overtimeRuntime = runtime;
}

/** The runtime instrumentation.ts registered: what route handlers pass to lib/. */
export function processRuntime(): Runtime {
  if (!holder.overtimeRuntime)
    throw new Error("No runtime registered: instrumentation.ts builds it when the server starts.");
  return holder.overtimeRuntime;
}
