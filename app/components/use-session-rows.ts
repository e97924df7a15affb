"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { type SessionListRow, sessionListSchema } from "@/lib/session/wire.ts";
import { ApiError, fetchWire } from "../session-stream/api-client.ts";
import { useAuth } from "./supabase-provider.tsx";
import { type UserSessionMessage, useUserSessionMessages } from "./use-user-sessions.ts";

/** One row of `GET /api/sessions` (`sessionListRowSchema`). */
export type SessionRow = SessionListRow;

/** Status messages come in bursts (start, claim, end): one re-read for costs and durations after them. */
const REFRESH_AFTER_MS = 600;

function merge(rows: SessionRow[], message: UserSessionMessage): SessionRow[] {
  const index = rows.findIndex((row) => row.id === message.id);
  if (index === -1) {
    // What the message does not say (conversation, mode, runner) stands in until the re-read after it.
    const created: SessionRow = {
      id: message.id,
      conversationId: "",
      title: message.title,
      agent: message.agent,
      status: message.status,
      mode: "auto",
      runner: null,
      offset: 0,
      costUsd: null,
      createdAt: message.updatedAt,
      updatedAt: message.updatedAt,
      startedAt: message.updatedAt,
      finishedAt: null,
      stage: null,
    };
    return [created, ...rows];
  }
  const current = rows[index]!;
  // Messages may arrive out of order: an older state never replaces a newer one.
  if (current.updatedAt > message.updatedAt) return rows;
  const next = [...rows];
  const { status, title, updatedAt, progress } = message;
  // A running session's progress comes every 15 s or so while the list is watched (issue 19).
  next[index] = { ...current, status, title, updatedAt, stage: progress ? progress.stage : current.stage };
  return next;
}

/**
 * The signed-in user's sessions (`null` until the first read), kept current by their `user:<id>`
 * messages and re-read after each burst of them.
 */
export function useSessionRows(): { sessions: SessionRow[] | null; error: string | null } {
  const { user } = useAuth();
  const [sessions, setSessions] = useState<SessionRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(() => {
    fetchWire("/api/sessions", sessionListSchema)
      .then((rows) => {
        setError(null);
        setSessions(rows);
      })
      .catch((caught: unknown) =>
        setError(caught instanceof ApiError ? caught.message : "Could not load your sessions."),
      );
  }, []);

  useEffect(() => {
    if (user) load();
    return () => {
      if (refreshTimer.current !== null) clearTimeout(refreshTimer.current);
    };
  }, [user, load]);

  useUserSessionMessages({
    onSession: (message) => {
      setSessions((rows) => merge(rows ?? [], message));
      // Progress alone changes no cost or duration: nothing to re-read.
      if (message.progress) return;
      if (refreshTimer.current !== null) clearTimeout(refreshTimer.current);
      refreshTimer.current = setTimeout(load, REFRESH_AFTER_MS);
    },
    // Joined (again): anything broadcast while not joined is in the list the API returns.
    onSubscribed: load,
  });

  return { sessions, error };
}
