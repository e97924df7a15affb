// The raw-Node baseline of a replay (issue 19): the least a replay of the log over HTTP can cost on
// this machine — a bare `node:http` server, one query for the session's rows over the same pool
// driver, the same SSE `delta` events of 64 KiB runs. No framework, no auth, no paging, no tail.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSql } from "../lib/db/client.ts";

const RUN_BYTES = 64 * 1024;

export async function startRawReplay(databaseUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const sql = createSql(databaseUrl, 2);
  const server = createServer(async (request, response) => {
    const sessionId = (request.url ?? "").slice(1);
    const rows = await sql<{ start_offset: string; end_offset: string; text: string }[]>`
      select start_offset, end_offset, text from session_chunks where session_id = ${sessionId}
      order by start_offset`;
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    let run: string[] = [];
    let runStart = 0;
    for (const row of rows) {
      run.push(row.text);
      const end = Number(row.end_offset);
      if (end - runStart >= RUN_BYTES || row === rows.at(-1)) {
        response.write(`event: delta\ndata: ${JSON.stringify({ text: run.join(""), offset: end })}\n\n`);
        run = [];
        runStart = end;
      }
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await sql.end();
    },
  };
}
