"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useAuth } from "./supabase-provider.tsx";

interface SessionRow {
  id: string;
  conversationId: string;
  title: string;
  agent: string;
  status: string;
  offset: number;
  costUsd: number | null;
  createdAt: string;
}

export function SessionList() {
  const { user, ready } = useAuth();
  const router = useRouter();
  const [sessions, setSessions] = useState<SessionRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (ready && !user) router.replace("/sign-in");
  }, [ready, user, router]);

  useEffect(() => {
    if (!user) return;
    let active = true;
    fetch("/api/sessions", { cache: "no-store" })
      .then(async (response) => {
        const body = await response.json();
        if (!active) return;
        if (!response.ok) setError(body.message ?? "Could not load your sessions.");
        else setSessions(body as SessionRow[]);
      })
      .catch(() => active && setError("Could not load your sessions."));
    return () => {
      active = false;
    };
  }, [user]);

  if (!ready || !user) return null;

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
          {sessions.map((session) => (
            <li key={session.id}>
              <Link href={`/sessions/${session.id}`}>{session.title || "Untitled session"}</Link>
              <span className={`status status-${session.status}`}>{session.status}</span>
              <span className="muted">{session.agent}</span>
              {session.costUsd !== null ? <span className="muted">${session.costUsd.toFixed(4)}</span> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
