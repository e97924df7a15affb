import { requireUser } from "@/lib/auth/index.ts";
import { getSql } from "@/lib/db/client.ts";
import { AppError } from "@/lib/errors.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { createSseStream, sseResponse } from "@/lib/http/sse.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { requireSessionLog } from "@/lib/session/log-retention.ts";
import { checkReplayOffset, replayAndTail, sessionState, settleCursor } from "@/lib/session/read-log.ts";
import { requireOwnedSession } from "@/lib/session/snapshot.ts";
import { writeWireEvent } from "@/lib/session/sse-events.ts";
import { streamCursorSchema, streamFollowSchema } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
export const maxDuration = 800;

export const GET = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const user = await requireUser(request);
  const { id } = await context.params;
  const sql = getSql();
  const session = await requireOwnedSession(sql, id, user.id);
  requireSessionLog(session);
  // An EventSource reconnect repeats the URL it started with; its Last-Event-ID is the newer cursor.
  const params = new URL(request.url).searchParams;
  const raw = request.headers.get("last-event-id") || params.get("offset") || "0";
  const follow =
    parseWith(streamFollowSchema, params.get("follow") ?? undefined, "bad_request:follow") === "1";
  const cursor = parseWith(streamCursorSchema, raw, "bad_request:offset");
  const settled = await settleCursor(sql, session, cursor);
  const check = await checkReplayOffset(sql, session, settled.offset);
  if (check === "past_end") throw new AppError("bad_request:offset", "offset: past the end of the output");
  if (check === "inside_character")
    throw new AppError("bad_request:offset", "offset: inside a UTF-8 character");

  const stop = new AbortController();
  const stream = createSseStream(
    async (writer) => {
      const { sessionId, conversationId } = { sessionId: session.id, conversationId: session.conversationId };
      writeWireEvent(writer, {
        type: "session",
        sessionId,
        conversationId,
        ...sessionState(session),
        offset: cursor.offset,
      });
      // The reader holds bytes a newer producer replaced: it drops them before the replay.
      if (settled.rewound && cursor.generation !== null)
        writeWireEvent(writer, { type: "rewind", offset: settled.offset, generation: cursor.generation });
      await replayAndTail(sql, {
        from: settled.offset,
        generation: settled.generation,
        session,
        emit: (event) => writeWireEvent(writer, event),
        signal: stop.signal,
        follow,
      });
      writer.close();
    },
    { signal: request.signal, onClose: () => stop.abort() },
  );
  return sseResponse(stream);
});
