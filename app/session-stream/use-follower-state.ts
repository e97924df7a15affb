"use client";

import { useEffect, useRef, useState } from "react";
import { type FollowerState, idleFollowerState, type SessionFollower } from "./session-follower.ts";

/** Runs `render` at most once per animation frame (or every 250 ms while the tab is hidden). */
function frameScheduler(render: () => void): { schedule(): void; cancel(): void } {
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    frame = null;
    timer = null;
    render();
  };
  return {
    schedule() {
      if (frame !== null || timer !== null) return;
      // Hidden tabs get no animation frames; a slow timer keeps their state from going stale.
      if (document.hidden) timer = setTimeout(run, 250);
      else frame = requestAnimationFrame(run);
    },
    cancel() {
      if (frame !== null) cancelAnimationFrame(frame);
      if (timer !== null) clearTimeout(timer);
      frame = null;
      timer = null;
    },
  };
}

/**
 * The follower's state as React state, re-rendered at most once per frame however fast deltas arrive.
 * A follower that is replaced or unmounted is disposed.
 */
export function useFollowerState(run: SessionFollower | null): FollowerState {
  const [state, setState] = useState<FollowerState>(idleFollowerState);
  // React's development double-mount runs cleanup then setup again for the same run; the disposal
  // waits a tick so that setup can call it off. A replaced or unmounted run is disposed for real.
  const pendingDisposal = useRef<{ run: SessionFollower; timer: ReturnType<typeof setTimeout> } | null>(null);

  useEffect(() => {
    if (run === null) return;
    if (pendingDisposal.current?.run === run) {
      clearTimeout(pendingDisposal.current.timer);
      pendingDisposal.current = null;
    }
    const scheduler = frameScheduler(() => setState(run.state));
    const unsubscribe = run.subscribe(scheduler.schedule);
    setState(run.state);
    return () => {
      unsubscribe();
      scheduler.cancel();
      pendingDisposal.current = { run, timer: setTimeout(() => run.dispose(), 0) };
    };
  }, [run]);

  return state;
}
