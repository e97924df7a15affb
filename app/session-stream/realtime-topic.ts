import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";

export interface TopicHandlers {
  /** Joined (again): whatever was broadcast while not joined must be read from the log now. */
  onSubscribed(): void;
  onMessage(event: string, payload: unknown): void;
  /** Not joined any more (socket dropped, join refused, channel closed); supabase-js or we rejoin. */
  onLeft?(): void;
}

export interface TopicSubscription {
  close(): void;
}

/** Subscribes to a private Realtime topic; injected so the session logic stays framework-free. */
export type SubscribeToTopic = (topic: string, handlers: TopicHandlers) => TopicSubscription;

const RESUBSCRIBE_DELAYS_MS = [1000, 2000, 5000, 10000];

/**
 * Private-topic subscriptions through the browser's supabase-js client, with the user's access token
 * (supabase-js keeps the socket's token in step with the auth session). supabase-js rejoins by itself
 * after a dropped socket; a channel the server closed (token expired, rate limit) is joined anew here.
 */
export function supabaseTopicSubscriber(supabase: SupabaseClient): SubscribeToTopic {
  return (topic, handlers) => {
    let closed = false;
    let channel: RealtimeChannel | null = null;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const join = async () => {
      if (closed) return;
      // The token in the join must be the user's: make sure the auth session has been read.
      await supabase.realtime.setAuth().catch(() => undefined);
      if (closed) return;
      const current = supabase.channel(topic, { config: { private: true } });
      channel = current;
      current.on("broadcast", { event: "*" }, (message) => {
        if (!closed && channel === current) handlers.onMessage(message.event, message.payload);
      });
      current.subscribe((status) => {
        if (closed || channel !== current) return;
        if (status === "SUBSCRIBED") {
          attempt = 0;
          handlers.onSubscribed();
          return;
        }
        handlers.onLeft?.();
        if (status === "CLOSED") {
          // The server ended the channel: join a fresh one after a pause.
          channel = null;
          const delay = RESUBSCRIBE_DELAYS_MS[Math.min(attempt, RESUBSCRIBE_DELAYS_MS.length - 1)]!;
          attempt += 1;
          // supabase-js hands out one channel per topic: the old one must be gone before the new join.
          void supabase
            .removeChannel(current)
            .catch(() => undefined)
            .finally(() => {
              if (!closed) timer = setTimeout(() => void join(), delay);
            });
        }
      });
    };
    void join();

    return {
      close() {
        closed = true;
        if (timer !== null) clearTimeout(timer);
        if (channel) void supabase.removeChannel(channel);
        channel = null;
      },
    };
  };
}
