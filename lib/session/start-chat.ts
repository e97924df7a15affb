import { type AgentConfig, getAgent, isDetachable } from "../agent/index.ts";
import type { AuthUser } from "../auth/index.ts";
import { grantSignupCredits } from "../db/credits.ts";
import { recentSessionDurations } from "../db/usage-limits.ts";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import type { SessionMode } from "../lifecycle.ts";
import { logError } from "../log.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { SessionFeed } from "./events.ts";
import { runLiveSession } from "./live.ts";
import type { AdmissionRefused, StartedSession, StartSessionInput } from "./ports.ts";
import { chooseRunner } from "./routing.ts";

export interface ChatInput {
  message: string;
  conversationId?: string;
  /** The AI SDK chat id (a conversation of this user, created on first use); see `startSession`. */
  chatId?: string;
  /** Re-run the last user turn as a new session (AI SDK `regenerate-message`). */
  regenerate?: boolean;
  agent?: string;
  mode: SessionMode;
  /** Stop the session when its cost reaches this many credits. */
  maxCredits?: number;
}

export type StartedChat =
  | {
      kind: "live";
      sessionId: string;
      conversationId: string;
      /** The live runner's epoch: the producer of the bytes it streams. */
      epoch: number;
      feed: SessionFeed;
      /** Starts the runner; subscribe to `feed` first. Resolves when the runner is done. */
      run(): Promise<void>;
    }
  | { kind: "background"; sessionId: string; conversationId: string };

/**
 * Starts a session for a chat message: checks the per-user limits and credits, decides live or
 * background, records conversation/message/session, and either hands back a live runner or dispatches
 * a background one.
 */
export async function startChat(deps: StartChatDeps): Promise<StartedChat> {
  const { user, input } = deps;
  const { sql, env, transitions } = deps.runtime;
  const agent = getAgent(env, input.agent);
  const detachable = isDetachable(agent);
  await grantSignupCredits(sql, user.id, env.SIGNUP_CREDITS);
  const durations = input.mode === "auto" && !detachable ? await recentSessionDurations(sql, agent.name) : [];
  const where = chooseRunner({
    mode: input.mode,
    detachable,
    recentDurationsSeconds: durations,
    budgetSeconds: env.LIVE_BUDGET_SECONDS,
  });
  // The lifecycle's `start` tells other devices' session lists at once (Realtime `session` on user:<id>).
  const started = await transitions.start(sessionToStart(deps, agent.name, where));
  if (started === "not_found") throw new AppError("not_found:conversation", "Conversation not found.");
  if ("admitted" in started) throw refusal(started, env);

  if (where === "background") {
    await deps.runtime.dispatcher
      .dispatch({ sessionId: started.sessionId, epoch: started.epoch, userId: user.id })
      .catch((error) =>
        // The session waits with a pending lease; the reconciler dispatches it again when it expires.
        logError("dispatch failed", { sessionId: started.sessionId, userId: user.id, error }),
      );
    return { kind: "background", sessionId: started.sessionId, conversationId: started.conversationId };
  }
  return liveChat(deps, started, agent);
}

interface StartChatDeps {
  runtime: Runtime;
  user: Pick<AuthUser, "id">;
  input: ChatInput;
}

/** The session row to record for the chat, with the per-user limits its admission is checked against. */
function sessionToStart(
  { runtime: { env }, user, input }: StartChatDeps,
  agentName: string,
  where: "live" | "background",
): StartSessionInput & Required<Pick<StartSessionInput, "admission">> {
  return {
    userId: user.id,
    conversationId: input.conversationId,
    chatId: input.chatId,
    regenerate: input.regenerate,
    message: input.message,
    agent: agentName,
    mode: input.mode,
    status: where,
    runner: where === "live" ? "live" : null,
    leaseOwner: where === "live" ? `live:${process.pid}` : null,
    title: titleOf(input.message),
    leaseSeconds: env.LEASE_SECONDS,
    admission: {
      maxLiveSessions: env.MAX_LIVE_SESSIONS_PER_USER,
      requestsPerMinute: env.CHAT_REQUESTS_PER_MINUTE,
      minCreditsToStart: env.MIN_CREDITS_TO_START,
    },
    maxCredits: input.maxCredits,
  };
}

/** A started live session: its feed, and the runner to start once the caller has subscribed. */
function liveChat(deps: StartChatDeps, started: StartedSession, agent: AgentConfig): StartedChat {
  const feed = new SessionFeed();
  return {
    kind: "live",
    sessionId: started.sessionId,
    conversationId: started.conversationId,
    epoch: started.epoch,
    feed,
    run: () =>
      runLiveSession({
        runtime: deps.runtime,
        sessionId: started.sessionId,
        userId: deps.user.id,
        epoch: started.epoch,
        agent,
        feed,
      }),
  };
}

/** The error a refused admission is to the caller. */
function refusal(result: AdmissionRefused, env: Env): AppError {
  switch (result.reason) {
    case "requests":
      return new AppError("rate_limit:requests", `At most ${env.CHAT_REQUESTS_PER_MINUTE} chats a minute.`, {
        retryAfterSeconds: result.retryAfterSeconds,
      });
    case "live_sessions":
      return new AppError(
        "rate_limit:live_sessions",
        `At most ${env.MAX_LIVE_SESSIONS_PER_USER} live chats at once.`,
        { retryAfterSeconds: 5 },
      );
    case "credits":
      return new AppError("payment_required:credits", "Your credit balance is too low to start a session.", {
        details: { balance: result.available, required: env.MIN_CREDITS_TO_START },
      });
  }
}

/** A line of `#word key=value …` only: a directive for the agent, not something to title a chat with. */
const DIRECTIVE_LINE = /^#\w+(\s+[\w-]+=\S*)*$/;

/** A session's title: the first line of the message that is not an agent directive. */
export function titleOf(message: string): string {
  const line = message
    .split("\n")
    .map((part) => part.trim())
    .find((part) => part && !DIRECTIVE_LINE.test(part));
  const title = line ?? message.trim().split("\n")[0] ?? "";
  return title.length > 80 ? `${title.slice(0, 79)}…` : title;
}
