"use client";

import { useEffect, useState } from "react";
import { formatElapsed } from "@/lib/elapsed.ts";

/** The session list's durations: the same clock as everywhere else. */
export const formatDuration = formatElapsed;

/** Time since `startedAt`, ticking each second until `finishedAt` is known. */
export function ElapsedTime({ startedAt, finishedAt }: { startedAt: number; finishedAt: number | null }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (finishedAt !== null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [finishedAt]);
  return (
    <span className="muted" data-testid="session-elapsed" title="Elapsed time">
      {formatDuration((finishedAt ?? now) - startedAt)}
    </span>
  );
}
