"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useAuth } from "../components/supabase-provider.tsx";
import { supabaseTopicSubscriber } from "./realtime-topic.ts";
import { SessionRun, type SessionRunHooks } from "./session-run.ts";
import type { ChatRequest } from "./session-types.ts";
import { useRunState } from "./use-run-state.ts";

/**
 * The session the page follows, as React state re-rendered at most once per frame however fast
 * deltas arrive. `send` starts a new session (replacing the current one), `open` shows an existing one.
 */
export function useSessionRun(hooks: Omit<SessionRunHooks, "subscribe">) {
  const { supabase } = useAuth();
  const subscribe = useMemo(() => supabaseTopicSubscriber(supabase), [supabase]);
  const [run, setRun] = useState<SessionRun | null>(null);
  const hooksRef = useRef(hooks);
  useEffect(() => {
    hooksRef.current = hooks;
  });
  const state = useRunState(run);

  const latestRun = useRef<SessionRun | null>(null);
  /** A new run, shown from now on. */
  const startRun = useCallback(() => {
    // Only one session is followed at a time: the previous one stops updating this page at once.
    latestRun.current?.dispose();
    const next = new SessionRun({
      onSessionCreated: (sessionId) => hooksRef.current.onSessionCreated(sessionId),
      onUnauthorized: () => hooksRef.current.onUnauthorized(),
      subscribe,
    });
    latestRun.current = next;
    setRun(next);
    return next;
  }, [subscribe]);

  const send = useCallback((request: ChatRequest) => void startRun().send(request), [startRun]);
  const open = useCallback((sessionId: string) => void startRun().open(sessionId), [startRun]);

  const stop = useCallback(() => {
    void run?.stop();
  }, [run]);

  return { state, send, open, stop };
}
