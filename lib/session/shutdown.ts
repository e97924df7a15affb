import { logInfo } from "../log.ts";
import type { Runtime } from "../runtime/runtime.ts";

/**
 * On SIGTERM (a deploy, a scale-in) the live runners of this server hand their sessions to the
 * background at once, instead of holding the old process open until each finishes or is killed.
 * Next.js's own SIGTERM handling then closes the server once the responses have ended. Called once,
 * by instrumentation.ts, with the process's runtime.
 */
export function handOffRunnersOnShutdown(runtime: Pick<Runtime, "runners">): void {
  process.once("SIGTERM", () => {
    const { runners } = runtime;
    const sessions = runners.runningSessionIds();
    if (sessions.length > 0) logInfo("shutting down: handing off live sessions", { sessions });
    void runners.yieldAll();
  });
}
