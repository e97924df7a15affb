"use client";

import { useEffect } from "react";
import { repeatWatch, watchUrl } from "@/lib/realtime/watch-repeater.ts";

/**
 * Tells the server this tab shows `target` (a session, or `"list"`: the sessions list), at mount and
 * every 30 s while the tab is visible (issue 19): what is watched is broadcast live and checkpointed
 * often; what nobody watches costs almost nothing. A session of `null`/`undefined` watches nothing.
 */
export function useWatch(target: { session: string | null | undefined } | "list"): void {
  const session = target === "list" ? null : target.session;
  const url = target === "list" ? watchUrl("list") : session ? watchUrl({ session }) : null;
  useEffect(() => {
    if (url === null) return;
    return repeatWatch({
      url,
      onError: (error) => console.warn("Could not tell the server this tab is watching.", error),
    });
  }, [url]);
}
