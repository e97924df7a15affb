import type { AuthUser } from "../auth/index.ts";
import { markClientLeft } from "../db/notification-outbox.ts";
import { getSession } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import { parseWith } from "../http/validate.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { SessionRow } from "../session/ports.ts";
import { startChat } from "../session/start-chat.ts";
import {
  type AiSdkChatBody,
  type ChatBody,
  chatBodyBranch,
  chatBodySchema,
  lastUserText,
} from "./chat-body.ts";
import { streamLiveUiChat } from "./live.ts";
import { replayUiMessage, type UiReaders } from "./replay.ts";
import { createUiMessageStream, uiMessageStreamResponse } from "./response.ts";

/**
 * `POST /api/chat`'s body: the AI SDK's or our own (a zod union). A 400 names the field of the branch
 * the body meant (the one with `messages`, else ours), as our own body's errors always did.
 */
export function parseChatBody(raw: unknown): ChatBody {
  const parsed = chatBodySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  parseWith(chatBodyBranch(raw), raw, "bad_request:chat");
  throw new AppError("bad_request:chat", "body: neither the AI SDK's chat body nor ours");
}

export interface AiSdkChatDeps {
  runtime: Runtime;
  user: AuthUser;
  body: AiSdkChatBody;
  signal: AbortSignal;
  /** The reader asked for `data-session` parts (`SESSION_STATE_HEADER`). */
  withState?: boolean;
}

/**
 * `POST /api/chat` with the AI SDK's body: the last user message is the new turn of the user's chat
 * `id` (the server keeps the history); `regenerate-message` re-runs the last turn. Answers with the UI
 * message stream, `x-workflow-run-id` = the session id. `after` receives the live runner.
 */
export async function startAiSdkChat(
  deps: AiSdkChatDeps,
  after: (run: Promise<void>) => void,
): Promise<Response> {
  const { runtime, body } = deps;
  const { sql } = runtime;
  const message = lastUserText(body);
  if (message === null)
    throw new AppError(
      "bad_request:chat",
      "messages: the last user message has no text part (1-32000 characters).",
      {
        details: { field: "messages" },
      },
    );
  const started = await startChat({
    runtime,
    user: deps.user,
    input: {
      message,
      chatId: body.id,
      conversationId: body.conversationId,
      regenerate: body.trigger === "regenerate-message",
      agent: body.agent,
      mode: body.mode,
      maxCredits: body.maxCredits,
    },
  });
  const headers = { "x-workflow-run-id": started.sessionId };
  const session = await getSession(sql, started.sessionId);
  if (!session) throw new AppError("not_found:session", "Session not found.");
  if (started.kind === "background")
    return uiMessageStreamResponse(
      replayBody(runtime, session, deps.signal, { withState: deps.withState }),
      headers,
    );
  const meta = {
    sessionId: session.id,
    conversationId: session.conversationId,
    agent: session.agent,
    mode: session.mode,
  };
  const live = streamLiveUiChat(started, meta, {
    signal: deps.signal,
    withState: deps.withState,
    onClientLeft: () => void markClientLeft(sql, started.sessionId),
  });
  // The runner outlives the response: a client that goes away does not stop the session.
  after(live.run);
  return uiMessageStreamResponse(live.body, headers);
}

/** A UI message stream of a session read from its log: from chunk `startIndex` to `finish`. */
export function replayBody(
  readers: UiReaders,
  session: SessionRow,
  signal: AbortSignal,
  {
    startIndex = 0,
    follow = true,
    withState = false,
  }: { startIndex?: number; follow?: boolean; withState?: boolean } = {},
) {
  const stop = new AbortController();
  return createUiMessageStream(
    async (writer) => {
      await replayUiMessage(readers, {
        session,
        emit: (chunk) => writer.write(chunk),
        emitText: (id, run) => writer.writeTextRun(id, run),
        signal: stop.signal,
        follow,
        onRow: (row) => writer.state({ status: row.status, runner: row.runner, seams: row.seamOffsets }),
      });
      writer.done();
    },
    { startIndex, withState, signal, onClose: () => stop.abort(), context: { sessionId: session.id } },
  );
}
