"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useAuth } from "../components/supabase-provider.tsx";
import { supabaseTopicSubscriber } from "./realtime-topic.ts";
import {
  idleSessionRunState,
  SessionRun,
  type SessionRunHooks,
  type SessionRunState,
} from "./session-run.ts";
import type { ChatRequest } from "./session-types.ts";

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
 * The session the page follows, as React state re-rendered at most once per frame however fast
 * deltas arrive. `send` starts a new session (replacing the current one), `open` shows an existing one.
 */
export function useSessionRun(hooks: Omit<SessionRunHooks, "subscribe">) {
  const { supabase } = useAuth();
  const subscribe = useMemo(() => supabaseTopicSubscriber(supabase), [supabase]);
  const [run, setRun] = useState<SessionRun | null>(null);
  const [state, setState] = useState<SessionRunState>(idleSessionRunState);
  const hooksRef = useRef(hooks);
  useEffect(() => {
    hooksRef.current = hooks;
  });
  // React's development double-mount runs cleanup then setup again for the same run; the disposal
  // waits a tick so that setup can call it off. A replaced or unmounted run is disposed for real.
  const pendingDisposal = useRef<{ run: SessionRun; timer: ReturnType<typeof setTimeout> } | null>(null);

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

  const latestRun = useRef<SessionRun | null>(null);
  const createRun = useCallback(() => {
    // Only one session is followed at a time: the previous one stops updating this page at once.
    latestRun.current?.dispose();
    const next = new SessionRun({
      onSessionCreated: (sessionId) => hooksRef.current.onSessionCreated(sessionId),
      onUnauthorized: () => hooksRef.current.onUnauthorized(),
      subscribe,
    });
    latestRun.current = next;
    return next;
  }, [subscribe]);

  const send = useCallback(
    (request: ChatRequest) => {
      const next = createRun();
      setRun(next);
      void next.send(request);
    },
    [createRun],
  );

  const open = useCallback(
    (sessionId: string) => {
      const next = createRun();
      setRun(next);
      void next.open(sessionId);
    },
    [createRun],
  );

  const stop = useCallback(() => {
    void run?.stop();
  }, [run]);

  return { state, send, open, stop };
}
