/** Next.js calls this once per server process at start-up. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // Settings are parsed once, here, and validated together before the first request: a bad
    // combination stops the start-up with its sentence (Next.js itself would only log it and go on).
    const { parseEnv } = await import("./lib/env.ts");
    let env: ReturnType<typeof parseEnv>;
    try {
      env = parseEnv();
    } catch (error) {
      console.error(`[overtime] ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
    // The process's one runtime: route handlers read it through `processRuntime()`.
    const { getSql } = await import("./lib/db/client.ts");
    const { createRuntime } = await import("./lib/runtime/runtime.ts");
    const { registerProcessRuntime } = await import("./process-runtime.ts");
    const runtime = createRuntime({ sql: getSql(env), env });
    registerProcessRuntime(runtime);
    const { handOffRunnersOnShutdown } = await import("./lib/session/shutdown.ts");
    handOffRunnersOnShutdown(runtime);
  }
}
