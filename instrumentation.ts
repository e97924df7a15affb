/** Next.js calls this once per server process at start-up. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // Settings are checked at start-up (an unpriced agent, a bad URL), not at the first request.
    const { getEnv } = await import("./lib/env.ts");
    getEnv();
    const { handOffRunnersOnShutdown } = await import("./lib/session/shutdown.ts");
    handOffRunnersOnShutdown();
  }
}
