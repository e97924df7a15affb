import { requireUser } from "@/lib/auth/index.ts";
import { getSql } from "@/lib/db/client.ts";
import { AppError } from "@/lib/errors.ts";
import { route } from "@/lib/http/route.ts";
import { createSseStream, sseResponse } from "@/lib/http/sse.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { checkReplayOffset, replayAndTail } from "@/lib/session/read-log.ts";
import { requireOwnedSession } from "@/lib/session/snapshot.ts";
import { writeSessionEvent } from "@/lib/session/sse-events.ts";
import { streamFollowSchema, streamOffsetSchema } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 800;

export const GET = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const user = await requireUser(request);
  const { id } = await context.params;
  const sql = getSql();
  const session = await requireOwnedSession(sql, id, user.id);
  const params = new URL(request.url).searchParams;
  const raw = params.get("offset") ?? request.headers.get("last-event-id") ?? "0";
  const offset = parseWith(streamOffsetSchema, raw, "bad_request:offset");
  const follow =
    parseWith(streamFollowSchema, params.get("follow") ?? undefined, "bad_request:follow") === "1";
  const check = await checkReplayOffset(sql, session, offset);
  if (check === "past_end") throw new AppError("bad_request:offset", "offset: past the end of the output");
  if (check === "inside_character")
    throw new AppError("bad_request:offset", "offset: inside a UTF-8 character");

  const stop = new AbortController();
  const stream = createSseStream(
    async (writer) => {
      writer.send("session", {
        sessionId: session.id,
        conversationId: session.conversationId,
        status: session.status,
        offset,
      });
      await replayAndTail(sql, session.id, offset, (event) => writeSessionEvent(writer, event), stop.signal, {
        follow,
      });
      writer.close();
    },
    { signal: request.signal, onClose: () => stop.abort() },
  );
  return sseResponse(stream);
});
