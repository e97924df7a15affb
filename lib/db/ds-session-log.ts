import type { Sql } from "./client.ts";

/**
 * Where the session log row holding byte `offset` ends (a Durable Streams response ends on a row
 * boundary, which is also a character boundary); `offset` itself when no row holds it.
 */
export async function sessionRowEndAfter(sql: Sql, sessionId: string, offset: number): Promise<number> {
  const [row] = await sql<{ end: number | null }[]>`
    select min(end_offset)::int8 as end from session_chunks
    where session_id = ${sessionId} and end_offset >= ${offset}`;
  return row?.end ?? offset;
}
