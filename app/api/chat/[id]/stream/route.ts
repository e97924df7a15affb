import { otherMethods } from "@/lib/http/methods.ts";
import { userIdRoute } from "@/lib/http/user-route.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { requireSessionLog } from "@/lib/session/log-retention.ts";
import { findChatSession } from "@/lib/ui-stream/chat-session.ts";
import { replayBody } from "@/lib/ui-stream/post-chat.ts";
import { countUiChunks } from "@/lib/ui-stream/replay.ts";
import { uiMessageStreamResponse, wantsSessionState } from "@/lib/ui-stream/response.ts";
import { processRuntime } from "@/process-runtime.ts";
import { chatIdSchema, followSchema, startIndexSchema } from "../schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
export const maxDuration = 800;

/** The chat's active assistant message (or a session's, by id) as a UI message stream; 204: none. */
export const GET = userIdRoute(processRuntime, async (request, user, rawId, runtime) => {
  const id = parseWith(chatIdSchema, rawId, "bad_request:id", "id");
  const params = new URL(request.url).searchParams;
  const raw = params.get("startIndex") ?? undefined;
  const startIndex = parseWith(startIndexSchema, raw, "bad_request:startIndex", "startIndex") ?? 0;
  const follow =
    parseWith(followSchema, params.get("follow") ?? undefined, "bad_request:follow", "follow") === "1";
  const session = await findChatSession(runtime.sql, user.id, id);
  if (!session) return new Response(null, { status: 204 });
  requireSessionLog(session);
  const headers: Record<string, string> = { "x-workflow-run-id": session.id };
  let from = startIndex;
  if (startIndex < 0) {
    const count = await countUiChunks(runtime, session);
    headers["x-workflow-stream-tail-index"] = String(count - 1);
    from = Math.max(0, count + startIndex);
  }
  return uiMessageStreamResponse(
    replayBody(runtime, session, request.signal, {
      startIndex: from,
      follow,
      withState: wantsSessionState(request),
    }),
    headers,
  );
});
