import { logInfo } from "../log.ts";
import { sessionRuntime } from "./runtime.ts";

let installed = false;

/**
 * On SIGTERM (a deploy, a scale-in) the live runners of this server hand their sessions to the
 * background at once, instead of holding the old process open until each finishes or is killed.
 * Next.js's own SIGTERM handling then closes the server once the responses have ended.
 */
export function handOffRunnersOnShutdown(): void {
  if (installed) return;
  installed = true;
  process.once("SIGTERM", () => {
    const { runners } = sessionRuntime();
    const sessions = runners.runningSessionIds();
    if (sessions.length > 0) logInfo("shutting down: handing off live sessions", { sessions });
    void runners.yieldAll();
  });
}
