import type { ChatStatus } from "ai";
import type { AgentStep, AssistantView, SessionStatePart } from "./assistant-message.ts";
import {
  isTerminal,
  type RunnerKind,
  type SessionProgress,
  type SessionSnapshot,
  type SessionStatus,
  type SessionUsage,
} from "./session-types.ts";

type Failure = { code: string; message: string };

/**
 * What the page knows of the followed session besides the message the AI SDK assembles: from the
 * snapshot (a page that opened a session reads it once), the `data-session` parts (status, runner,
 * seams) and Realtime's `progress`. A terminal status is never taken from these: the page says
 * "completed" only once the stream's `finish` is in, i.e. once it holds the whole text.
 */
export interface SessionFacts {
  status: SessionStatus | null;
  runner: RunnerKind | null;
  seams: number[];
  progress: SessionProgress | null;
  prompt: string | null;
  userMessageId: string | null;
  conversationId: string | null;
  agent: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** A refused read of the session (e.g. 404 for another user's). */
  error: Failure | null;
}

function epochMs(iso: string | null): number | null {
  if (iso === null) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
}

export const noFacts: SessionFacts = {
  status: null,
  runner: null,
  seams: [],
  progress: null,
  prompt: null,
  userMessageId: null,
  conversationId: null,
  agent: null,
  startedAt: null,
  finishedAt: null,
  error: null,
};

/** A status to show while the stream runs: a terminal one waits for the stream's end. */
function runningStatus(facts: SessionFacts, status: SessionStatus): SessionStatus | null {
  return isTerminal(status) ? facts.status : status;
}

export function withSessionState(facts: SessionFacts, state: SessionStatePart): SessionFacts {
  return { ...facts, status: runningStatus(facts, state.status), runner: state.runner, seams: state.seams };
}

export function withSnapshot(facts: SessionFacts, snapshot: SessionSnapshot): SessionFacts {
  return {
    ...withSessionState(facts, snapshot),
    progress: snapshot.progress ?? facts.progress,
    prompt: snapshot.prompt,
    userMessageId: snapshot.userMessageId,
    conversationId: snapshot.conversationId,
    agent: snapshot.agent,
    startedAt: epochMs(snapshot.startedAt) ?? facts.startedAt,
    finishedAt: epochMs(snapshot.finishedAt) ?? facts.finishedAt,
  };
}

/** What the page shows about the one session it follows. */
export interface SessionView {
  /** idle: nothing sent; starting: POST in flight; loading: opening a session; running; finished. */
  phase: "idle" | "starting" | "loading" | "running" | "finished";
  sessionId: string | null;
  conversationId: string | null;
  userMessageId: string | null;
  agent: string | null;
  prompt: string | null;
  status: SessionStatus | null;
  runner: RunnerKind | null;
  text: string;
  steps: AgentStep[];
  seams: number[];
  progress: SessionProgress | null;
  usage: SessionUsage | null;
  costUsd: number | null;
  error: Failure | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface ChatSide {
  status: ChatStatus;
  /** The request or the stream failed: an `ApiError` (refused) or the stream's error sentence. */
  error: Failure | null;
  prompt: string | null;
  assistant: AssistantView;
  /** The page opened an existing session (its URL named it). */
  opened: string | null;
}

/** Combines the AI SDK's side (the message, the request) with the facts into what the page shows. */
export function sessionView(chat: ChatSide, facts: SessionFacts): SessionView {
  const { metadata, text, steps } = chat.assistant;
  const sessionId = metadata?.sessionId ?? chat.opened;
  const ended = metadata?.status !== undefined && isTerminal(metadata.status);
  const failedStream = chat.status === "error" && metadata !== null && !ended;
  const status: SessionStatus | null = ended
    ? (metadata?.status ?? null)
    : failedStream
      ? "failed"
      : facts.status;
  const error = facts.error ?? metadata?.error ?? chat.error;
  return {
    phase: phaseOf(chat, facts, ended || failedStream, sessionId),
    sessionId,
    conversationId: metadata?.conversationId ?? facts.conversationId,
    userMessageId: facts.userMessageId,
    agent: metadata?.agent ?? facts.agent,
    prompt: chat.prompt ?? facts.prompt,
    status,
    runner: facts.runner ?? chat.assistant.runner,
    text,
    steps,
    seams: facts.seams,
    progress: facts.progress,
    usage: metadata?.usage ?? null,
    costUsd: metadata?.costUsd ?? null,
    error: status === "cancelled" ? null : error,
    startedAt: facts.startedAt,
    finishedAt: facts.finishedAt,
  };
}

function phaseOf(
  chat: ChatSide,
  facts: SessionFacts,
  ended: boolean,
  sessionId: string | null,
): SessionView["phase"] {
  if (ended || facts.error !== null) return "finished";
  if (chat.status === "error") return "finished";
  if (chat.assistant.metadata !== null) return "running";
  if (chat.status === "submitted") return sessionId === null ? "starting" : "loading";
  if (chat.opened !== null) return "loading";
  return "idle";
}
