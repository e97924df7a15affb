"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useAuth } from "../components/supabase-provider.tsx";
import { supabaseTopicSubscriber } from "./realtime-topic.ts";
import { SessionFollower, type SessionFollowerHooks } from "./session-follower.ts";
import type { ChatRequest } from "./session-types.ts";
import { useFollowerState } from "./use-follower-state.ts";

/**
 * The session the page follows, as React state re-rendered at most once per frame however fast
 * deltas arrive. `send` starts a new session (replacing the current one), `open` shows an existing one.
 */
export function useSessionFollower(hooks: Omit<SessionFollowerHooks, "subscribe">) {
  const { supabase } = useAuth();
  const subscribe = useMemo(() => supabaseTopicSubscriber(supabase), [supabase]);
  const [follower, setFollower] = useState<SessionFollower | null>(null);
  const hooksRef = useRef(hooks);
  useEffect(() => {
    hooksRef.current = hooks;
  });
  const state = useFollowerState(follower);

  const latestFollower = useRef<SessionFollower | null>(null);
  const createFollower = useCallback(() => {
    // Only one session is followed at a time: the previous one stops updating this page at once.
    latestFollower.current?.dispose();
    const next = new SessionFollower({
      onSessionCreated: (sessionId) => hooksRef.current.onSessionCreated(sessionId),
      onUnauthorized: () => hooksRef.current.onUnauthorized(),
      subscribe,
    });
    latestFollower.current = next;
    return next;
  }, [subscribe]);

  /** Follows a new session from `begin` (a send or an open), replacing the current one. */
  const follow = useCallback(
    (begin: (next: SessionFollower) => Promise<void>) => {
      const next = createFollower();
      setFollower(next);
      void begin(next);
    },
    [createFollower],
  );
  const send = useCallback((request: ChatRequest) => follow((next) => next.send(request)), [follow]);
  const open = useCallback((sessionId: string) => follow((next) => next.open(sessionId)), [follow]);

  const stop = useCallback(() => {
    void follower?.stop();
  }, [follower]);

  return { state, send, open, stop };
}
