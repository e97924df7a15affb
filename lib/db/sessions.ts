import type { RunnerKind, SessionMode, SessionStatus } from "../lifecycle.ts";
import type { SessionRow } from "../session/ports.ts";
import type { Sql } from "./client.ts";

export interface SessionSummary {
  id: string;
  conversationId: string;
  title: string;
  agent: string;
  status: SessionStatus;
  mode: SessionMode;
  runner: RunnerKind | null;
  offset: number;
  costUsd: number | null;
  createdAt: string;
  updatedAt: string;
  /** When it started and ended (null while running), and its last stage, for the sessions list. */
  startedAt: string | null;
  finishedAt: string | null;
  stage: string | null;
}

/** The caller's sessions, newest first. */
export async function listSessionsForUser(sql: Sql, userId: string, limit = 100): Promise<SessionSummary[]> {
  const rows = await sql<
    {
      id: string;
      conversation_id: string;
      title: string;
      agent: string;
      status: SessionStatus;
      mode: SessionMode;
      runner: RunnerKind | null;
      durable_offset: number;
      cost_usd: string | null;
      created_at: Date;
      updated_at: Date;
      started_at: Date | null;
      finished_at: Date | null;
      stage: string | null;
    }[]
  >`
    select id, conversation_id, title, agent, status, mode, runner, durable_offset, cost_usd, created_at, updated_at,
           started_at, finished_at, progress ->> 'stage' as stage
    from sessions where user_id = ${userId}
    order by created_at desc, id desc
    limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    conversationId: row.conversation_id,
    title: row.title,
    agent: row.agent,
    status: row.status,
    mode: row.mode,
    runner: row.runner,
    offset: row.durable_offset,
    costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    stage: row.stage,
  }));
}

export type { SessionRow } from "../session/ports.ts";

interface RawSessionRow {
  id: string;
  user_id: string;
  conversation_id: string;
  agent: string;
  title: string;
  mode: SessionMode;
  status: SessionStatus;
  runner: RunnerKind | null;
  run_id: string | null;
  epoch: number;
  lease_expires_at: Date | null;
  durable_offset: number;
  agent_cursor: unknown;
  seam_offsets: (number | string)[];
  seam_joiners: Record<string, string> | null;
  progress: Record<string, unknown> | null;
  usage: { inputTokens: number; outputTokens: number; estimated?: boolean } | null;
  cost_usd: string | null;
  error: { code: string; message: string } | null;
  cancel_requested: boolean;
  log_deleted_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toSessionRow(row: RawSessionRow): SessionRow {
  return {
    id: row.id,
    userId: row.user_id,
    conversationId: row.conversation_id,
    agent: row.agent,
    title: row.title,
    mode: row.mode,
    status: row.status,
    runner: row.runner,
    runId: row.run_id,
    epoch: row.epoch,
    leaseExpiresAt: row.lease_expires_at,
    durableOffset: row.durable_offset,
    agentCursor: row.agent_cursor,
    seamOffsets: row.seam_offsets.map(Number),
    seamJoiners: row.seam_joiners ?? {},
    progress: row.progress,
    usage: row.usage,
    costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
    error: row.error,
    cancelRequested: row.cancel_requested,
    logDeletedAt: row.log_deleted_at ?? null,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One session by id, whoever owns it (server-side callers only). */
export async function getSession(sql: Sql, sessionId: string): Promise<SessionRow | null> {
  const [row] = await sql<RawSessionRow[]>`select * from sessions where id = ${sessionId}`;
  return row ? toSessionRow(row) : null;
}

/** One session if `userId` owns it; null otherwise (callers answer 404 either way). */
export async function getSessionOwnedBy(
  sql: Sql,
  sessionId: string,
  userId: string,
): Promise<SessionRow | null> {
  const [row] = await sql<
    RawSessionRow[]
  >`select * from sessions where id = ${sessionId} and user_id = ${userId}`;
  return row ? toSessionRow(row) : null;
}

/** The user message that started a session (null if it was deleted). */
export async function getSessionUserMessage(
  sql: Sql,
  sessionId: string,
): Promise<{ id: string; content: string } | null> {
  const [row] = await sql<{ id: string; content: string }[]>`
    select m.id, m.content from messages m join sessions s on s.user_message_id = m.id where s.id = ${sessionId}`;
  return row ?? null;
}

/** The user message that started a session. */
export async function getSessionPrompt(sql: Sql, sessionId: string): Promise<string> {
  const [row] = await sql<{ content: string }[]>`
    select m.content from messages m join sessions s on s.user_message_id = m.id where s.id = ${sessionId}`;
  return row?.content ?? "";
}
