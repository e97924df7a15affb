import { WireError } from "@/lib/session/wire.ts";
import { ApiError } from "./api-client.ts";

/**
 * The code and message the page shows for a failed request (an `ApiError` says it in its own words:
 * the balance of a 402, the wait of a 429), an unreadable answer, a dropped connection, or the
 * sentence of a session that failed (the UI message stream's `error` chunk).
 */
export function describe(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.explanation };
  if (error instanceof WireError) return { code: "unreadable_event", message: error.message };
  if (error instanceof TypeError || !(error instanceof Error) || error.message === "")
    return { code: "network", message: "Could not reach the server. Check your connection and try again." };
  return { code: "session_failed", message: error.message };
}
