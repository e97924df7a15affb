import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import type { Sql } from "../db/client.ts";
import { getSession } from "../db/sessions.ts";
import type { Env } from "../env.ts";
import { logError } from "../log.ts";
import { encodeRealtimeMessage, type RealtimeEventName } from "../session/wire.ts";
import { type Publish, RealtimeBroadcaster } from "./broadcaster.ts";
import type { SessionState } from "./session-observer.ts";

export { RealtimeBroadcaster } from "./broadcaster.ts";
export type { SessionObserver, SessionProgress, SessionState } from "./session-observer.ts";

const SEND_TIMEOUT_MS = 5000;

/**
 * Server-side Realtime sends: `channel.httpSend` on a private topic with the secret key (reference
 * §2: REST, not a socket; a server never subscribes). Channels are kept per topic until forgotten.
 */
export function createRealtimePublisher(env: Pick<Env, "SUPABASE_URL" | "SUPABASE_SECRET_KEY">): {
  publish: Publish;
  forget(topic: string): void;
} {
  let client: SupabaseClient | undefined;
  const channels = new Map<string, RealtimeChannel>();
  const channelFor = (topic: string) => {
    client ??= createClient(env.SUPABASE_URL, env.SUPABASE_SECRET_KEY, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    let channel = channels.get(topic);
    if (!channel) {
      channel = client.channel(topic, { config: { private: true } });
      channels.set(topic, channel);
    }
    return channel;
  };
  return {
    async publish(topic, event, payload) {
      // The wire contract the browser decodes with (lib/session/wire.ts): a bug fails here, logged.
      const message = encodeRealtimeMessage(event as RealtimeEventName, payload as never);
      await channelFor(topic).httpSend(message.event, message.payload, { timeout: SEND_TIMEOUT_MS });
    },
    forget(topic) {
      const channel = channels.get(topic);
      channels.delete(topic);
      if (channel && client) void client.removeChannel(channel).catch(() => {});
    },
  };
}

/** The session as `status`/`session` messages describe it. */
export async function loadSessionState(sql: Sql, sessionId: string): Promise<SessionState | null> {
  const session = await getSession(sql, sessionId);
  if (!session) return null;
  return {
    id: session.id,
    userId: session.userId,
    status: session.status,
    runner: session.runner,
    offset: session.durableOffset,
    seams: session.seamOffsets,
    title: session.title,
    agent: session.agent,
    updatedAt: session.updatedAt.toISOString(),
  };
}

/**
 * A broadcaster publishing to SUPABASE_URL with SUPABASE_SECRET_KEY: one per process, built by the
 * process's runtime (lib/runtime) and handed to every runner and to the lifecycle as an observer.
 * Errors are logged with the session id and go no further.
 */
export function createSessionBroadcaster(options: { sql: Sql; env: Env }): RealtimeBroadcaster {
  const publisher = createRealtimePublisher(options.env);
  return new RealtimeBroadcaster({
    publish: publisher.publish,
    forgetTopic: publisher.forget,
    loadSession: (sessionId) => loadSessionState(options.sql, sessionId),
    onError: logError,
  });
}
