/** Next.js calls this once per server process at start-up. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // Settings are validated together before the first request: a bad combination stops the start-up
    // with its sentence (Next.js itself would only log it and go on serving).
    const { getEnv } = await import("./lib/env.ts");
    try {
      getEnv();
    } catch (error) {
      console.error(`[overtime] ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
    const { handOffRunnersOnShutdown } = await import("./lib/session/shutdown.ts");
    handOffRunnersOnShutdown();
  }
}
