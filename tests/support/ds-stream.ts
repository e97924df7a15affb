import type { Sql } from "../../lib/db/client.ts";
import { writeDsStream } from "../../lib/db/ds-appends.ts";
import { insertDsStream } from "../../lib/db/ds-streams.ts";

/** Creates an empty, open `text/plain` other stream at `path`; returns its id. */
export async function insertTestDsStream(sql: Sql, path: string): Promise<number> {
  const row = await sql.begin((tx) =>
    insertDsStream(tx, {
      path,
      contentType: "text/plain",
      ttlSeconds: null,
      expiresAtText: null,
      expiresAt: null,
      closed: false,
      initialData: Buffer.alloc(0),
    }),
  );
  if (!row) throw new Error(`a stream already lives at ${path}`);
  return row.id;
}

/** Appends `text` at `startOffset` (no producer, no Stream-Seq), as a plain POST would. */
export async function appendTestDsStream(sql: Sql, streamId: number, startOffset: number, text: string) {
  await sql.begin((tx) =>
    writeDsStream(tx, {
      streamId,
      startOffset,
      data: Buffer.from(text),
      seq: null,
      close: false,
      producer: null,
    }),
  );
}
