import type { Sql } from "../db/client.ts";
import type { SessionNotifications } from "../db/session-notifications.ts";
import { watchSession } from "../db/session-watches.ts";
import { AppError } from "../errors.ts";
import { createSseStream } from "../http/sse.ts";
import { requireSessionLog } from "./log-retention.ts";
import { checkReplayOffset, replayAndTail, sessionState, settleCursor } from "./read-log.ts";
import { requireOwnedSession } from "./snapshot.ts";
import { writeWireEvent } from "./sse-events.ts";
import type { StreamCursor } from "./wire.ts";

export interface SessionStreamRequest {
  sessionId: string;
  userId: string;
  /** Where the reader stands: `?offset=`, or the `Last-Event-ID` of an EventSource reconnect. */
  cursor: StreamCursor;
  /** false (`?follow=0`): replay to the durable end and close, a catch-up read; true: then tail. */
  follow: boolean;
  /** The request's signal: the stream ends when the client goes away. */
  signal: AbortSignal;
}

/**
 * GET /api/sessions/:id/stream (DESIGN §5): the caller's session replayed from the cursor, then
 * tailed until it ends (or, with `follow` false, until the durable end). Refusals come before any
 * byte is sent: `not_found:session` for a session the caller does not own, `bad_request:offset` for
 * an offset past the end of a finished session or inside a UTF-8 character. A reader whose cursor is
 * past a seam it has not seen gets `rewind` right after `session`.
 */
export async function openSessionStream(
  readers: { sql: Sql; notifications: SessionNotifications },
  request: SessionStreamRequest,
): Promise<ReadableStream<Uint8Array>> {
  const { sql } = readers;
  const { cursor } = request;
  const session = await requireOwnedSession(sql, request.sessionId, request.userId);
  requireSessionLog(session);
  // A catch-up read is a tab following over Realtime: it counts as one watch (issue 19), recorded
  // before the read so a runner that learns of it broadcasts every append the read may miss.
  if (!request.follow) await watchSession(sql, session.id, request.userId);
  const settled = await settleCursor(sql, session, cursor);
  const check = await checkReplayOffset(sql, session, settled.offset);
  if (check === "past_end") throw new AppError("bad_request:offset", "offset: past the end of the output");
  if (check === "inside_character")
    throw new AppError("bad_request:offset", "offset: inside a UTF-8 character");

  return createSseStream(
    async (writer) => {
      writeWireEvent(writer, {
        type: "session",
        sessionId: session.id,
        conversationId: session.conversationId,
        ...sessionState(session),
        offset: cursor.offset,
      });
      // The reader holds bytes a newer producer replaced: it drops them before the replay.
      if (settled.rewound && cursor.epoch !== null)
        writeWireEvent(writer, { type: "rewind", offset: settled.offset, epoch: cursor.epoch });
      await replayAndTail(readers, {
        from: settled.offset,
        epoch: settled.epoch,
        session,
        emit: (event) => writeWireEvent(writer, event),
        signal: writer.signal,
        follow: request.follow,
      });
    },
    { signal: request.signal },
  );
}
