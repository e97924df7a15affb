/** Next.js calls this once per server process at start-up. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { handOffRunnersOnShutdown } = await import("./lib/session/shutdown.ts");
    handOffRunnersOnShutdown();
  }
}
