"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { ACTIVE_STATUS_SET } from "@/lib/lifecycle.ts";
import { decodeRealtimeMessage } from "@/lib/session/wire.ts";
import { supabaseTopicSubscriber } from "../session-stream/realtime-topic.ts";
import { ElapsedTime, formatDuration } from "./elapsed-time.tsx";
import { useAuth } from "./supabase-provider.tsx";
import { type SessionRow, useSessionRows } from "./use-session-rows.ts";
import { useWatch } from "./use-watch.ts";

/** The user's sessions: running ones first (stage, elapsed), then the rest (start, duration, cost). */
export function SessionList() {
  const { user, ready } = useAuth();
  const router = useRouter();
  useEffect(() => {
    if (ready && !user) router.replace("/sign-in");
  }, [ready, user, router]);

  const { sessions, error } = useSessionRows();
  useWatch("list");

  if (!ready || !user) return null;
  const running = (sessions ?? []).filter((session) => ACTIVE_STATUS_SET.has(session.status));
  const rest = (sessions ?? []).filter((session) => !ACTIVE_STATUS_SET.has(session.status));

  return (
    <section className="card">
      <div className="row spread">
        <h1>Sessions</h1>
        <Link href="/chat" className="button">
          New chat
        </Link>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : sessions === null ? (
        <p className="muted">Loading…</p>
      ) : sessions.length === 0 ? (
        <p className="muted" data-testid="sessions-empty">
          No sessions yet. Start a chat to run an agent.
        </p>
      ) : (
        <ul className="sessions" data-testid="sessions">
          {[...running, ...rest].map((session) => (
            <SessionItem key={session.id} session={session} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** A running session's stage as its Realtime `progress` messages tell it (the list's copy is a snapshot). */
function useLiveStage(sessionId: string, running: boolean, initial: string | null): string | null {
  const { supabase } = useAuth();
  const [stage, setStage] = useState(initial);
  useEffect(() => setStage(initial), [initial]);
  useEffect(() => {
    if (!running) return;
    const subscription = supabaseTopicSubscriber(supabase)(`session:${sessionId}`, {
      onSubscribed: () => {},
      onMessage: (event, payload) => {
        if (event !== "progress") return;
        try {
          const message = decodeRealtimeMessage(event, payload);
          if (message?.type === "progress" && message.stage) setStage(message.stage);
        } catch (error) {
          // A progress hint that does not decode changes nothing on the list.
          console.warn(`Session ${sessionId}: ignoring an unreadable progress message.`, error);
        }
      },
    });
    return () => subscription.close();
  }, [supabase, sessionId, running]);
  return stage;
}

function SessionItem({ session }: { session: SessionRow }) {
  const started = Date.parse(session.startedAt ?? session.createdAt);
  const isRunning = ACTIVE_STATUS_SET.has(session.status);
  const stage = useLiveStage(session.id, isRunning, session.stage);
  return (
    <li data-testid="session-row" data-session-id={session.id} data-status={session.status}>
      <Link href={`/sessions/${session.id}`}>{session.title || "Untitled session"}</Link>
      <span className={`status status-${session.status}`}>{session.status}</span>
      {isRunning ? (
        <>
          {stage ? (
            <span className="muted" data-testid="session-row-stage">
              {stage}
            </span>
          ) : null}
          <ElapsedTime startedAt={started} finishedAt={null} />
        </>
      ) : (
        <>
          <time className="muted" dateTime={new Date(started).toISOString()}>
            {new Date(started).toLocaleString()}
          </time>
          {session.finishedAt ? (
            <span className="muted" title="Duration">
              {formatDuration(Date.parse(session.finishedAt) - started)}
            </span>
          ) : null}
          {session.costUsd !== null ? <span className="muted">${session.costUsd.toFixed(4)}</span> : null}
        </>
      )}
      <span className="muted">{session.agent}</span>
    </li>
  );
}
