import type { Sql } from "../db/client.ts";
import type { StreamWakeups } from "../db/ds-stream-wakeups.ts";
import { type DsStreamRow, dsChunkEndAfter, getDsStreamById, readDsChunks } from "../db/ds-streams.ts";
import { AppError } from "../errors.ts";
import { isJsonType } from "./protocol.ts";
import type { StreamPage, StreamSource, StreamState } from "./read-source.ts";

/**
 * An other stream (PUT by a service-key holder) as the read encoder sees it; its readers wake from
 * the process's one LISTEN (`streamWakeups`, a runtime member).
 */
export function otherStreamSource(
  { sql, streamWakeups }: { sql: Sql; streamWakeups: StreamWakeups },
  row: DsStreamRow,
): StreamSource {
  return {
    contentType: row.contentType,
    // The row id, not the path: a stream recreated at the same path never matches an old ETag.
    etagId: `ds-${row.id}`,
    // Reads carry the service key: no shared cache may keep them.
    cacheScope: "private",
    state: otherStreamState(row),
    read: (from, maxBytes) => readOtherBytes(sql, row, from, maxBytes),
    pieceEndAfter: (offset) => dsChunkEndAfter(sql, row.id, offset),
    async refresh() {
      const current = await getDsStreamById(sql, row.id);
      return current ? otherStreamState(current) : null;
    },
    subscribe: (onChange) => streamWakeups.subscribe(row.id, onChange),
  };
}

function otherStreamState(row: DsStreamRow): StreamState {
  return { tail: row.nextOffset, closed: row.closed };
}

async function readOtherBytes(
  sql: Sql,
  row: DsStreamRow,
  from: number,
  maxBytes: number,
): Promise<StreamPage | "gone"> {
  const chunks = await readDsChunks(sql, row.id, from, maxBytes);
  const pieces: Buffer[] = [];
  let end = from;
  for (const chunk of chunks) {
    if (chunk.startOffset > end) return "gone";
    if (chunk.startOffset < end) {
      // JSON values cannot be cut; bytes can.
      if (isJsonType(row.contentType)) {
        throw new AppError(
          "bad_request:offset",
          "offset: inside a JSON message; use an offset this server sent.",
        );
      }
      pieces.push(chunk.data.subarray(end - chunk.startOffset));
    } else pieces.push(chunk.data);
    end = chunk.endOffset;
  }
  return pieces.length === 0 ? "gone" : { pieces, end };
}
