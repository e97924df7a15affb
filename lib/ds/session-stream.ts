import type { Sql } from "../db/client.ts";
import { sessionRowEndAfter } from "../db/ds-session-log.ts";
import { sliceChunkFrom } from "../db/session-log.ts";
import { readLogRuns } from "../db/session-log-read.ts";
import type { SessionNotifications } from "../db/session-notifications.ts";
import { getSession, type SessionRow } from "../db/sessions.ts";
import { AppError } from "../errors.ts";
import { isTerminal } from "../lifecycle.ts";
import { REPLAY_RUN_BYTES } from "../session/read-log.ts";
import type { StreamPage, StreamSource, StreamState } from "./read-source.ts";

/** What a session stream answers GET with. */
export const SESSION_STREAM_CONTENT_TYPE = "text/plain; charset=utf-8";

/**
 * A session's log as a Durable Stream: its durable bytes only, so an offset once served is never
 * taken back (no rewind ever reaches a Durable Streams reader: a live runner's bytes past the
 * durable offset are not served here). The stream is closed once the session is terminal.
 */
export function sessionStreamSource(
  readers: { sql: Sql; notifications: SessionNotifications },
  session: SessionRow,
): StreamSource {
  const { sql, notifications: hub } = readers;
  return {
    contentType: SESSION_STREAM_CONTENT_TYPE,
    etagId: `sessions/${session.id}`,
    cacheScope: "private",
    state: sessionStreamState(session),
    read: (from, maxBytes) => readSessionBytes(sql, session.id, from, maxBytes),
    pieceEndAfter: (offset) => sessionRowEndAfter(sql, session.id, offset),
    async refresh() {
      const row = await getSession(sql, session.id);
      if (!row) return null;
      hub.observe(row.id, row.updatedAt);
      return sessionStreamState(row);
    },
    async subscribe(onChange) {
      // The same wake-up as GET /api/sessions/:id/stream: one LISTEN per process, fanned out here.
      const unsubscribe = await hub.subscribe(session.id, () => onChange());
      hub.observe(session.id, session.updatedAt);
      return unsubscribe;
    },
  };
}

/** A session row as stream state: the durable offset, closed at a terminal status. */
export function sessionStreamState(session: SessionRow): StreamState {
  return { tail: session.durableOffset, closed: isTerminal(session.status) };
}

/**
 * Durable bytes from `from` (about `maxBytes`, in runs of joined rows): "gone" when the log no longer
 * holds them (deleted past retention, or cut before `from`).
 */
async function readSessionBytes(
  sql: Sql,
  sessionId: string,
  from: number,
  maxBytes: number,
): Promise<StreamPage | "gone"> {
  const runs = await readLogRuns(sql, sessionId, from, maxBytes, REPLAY_RUN_BYTES);
  const pieces: Buffer[] = [];
  let end = from;
  for (const run of runs) {
    if (run.startOffset > end) return "gone";
    let text: string;
    try {
      text = sliceChunkFrom(run, end);
    } catch {
      throw new AppError("bad_request:offset", "offset: inside a UTF-8 character.");
    }
    pieces.push(Buffer.from(text, "utf8"));
    end = run.endOffset;
  }
  return pieces.length === 0 ? "gone" : { pieces, end };
}
