"use client";

import { useEffect, useRef } from "react";
import { decodeRealtimeMessage, type RealtimeMessage } from "@/lib/session/wire.ts";
import { supabaseTopicSubscriber, type TopicSubscription } from "../session-stream/realtime-topic.ts";
import { useAuth } from "./supabase-provider.tsx";

export type UserSessionMessage = Extract<RealtimeMessage, { type: "session" }>;

type Listener = { onSession(message: UserSessionMessage): void; onSubscribed?(): void };

// One `user:<id>` channel per tab, shared by the sessions list and the header's balance.
const listeners = new Set<Listener>();
let shared: { userId: string; subscription: TopicSubscription } | null = null;

/**
 * Calls `onSession` for each `session` broadcast on the signed-in user's private topic (a session
 * of hers was created or changed status, on any device), and `onSubscribed` on each (re)join, when
 * whatever was missed should be re-read.
 */
export function useUserSessionMessages(listener: Listener): void {
  const { supabase, user } = useAuth();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  const userId = user?.id ?? null;
  useEffect(() => {
    if (userId === null) return;
    const entry: Listener = {
      onSession: (message) => latest.current.onSession(message),
      onSubscribed: () => latest.current.onSubscribed?.(),
    };
    listeners.add(entry);
    if (shared?.userId !== userId) {
      shared?.subscription.close();
      shared = {
        userId,
        subscription: supabaseTopicSubscriber(supabase)(`user:${userId}`, {
          onSubscribed: () => {
            for (const each of listeners) each.onSubscribed?.();
          },
          onMessage: (event, payload) => {
            let message: RealtimeMessage | null = null;
            try {
              message = decodeRealtimeMessage(event, payload);
            } catch (error) {
              console.warn("Ignoring an unreadable sessions-list message.", error);
            }
            if (message?.type === "session") for (const each of listeners) each.onSession(message);
          },
        }),
      };
    }
    return () => {
      listeners.delete(entry);
      if (listeners.size === 0) {
        shared?.subscription.close();
        shared = null;
      }
    };
  }, [supabase, userId]);
}
