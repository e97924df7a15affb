import { simulatedText } from "../dev/agent-sim/text.ts";
import { createSql, type Sql } from "../lib/db/client.ts";
import { finishSession } from "../lib/db/session-finish.ts";
import { appendCheckpoint, readLogText, splitOnCharacters } from "../lib/db/session-log.ts";
import type { BenchEnvironment } from "./environment.ts";
import { benchSession, fmt } from "./support.ts";

const OUTPUT_BYTES = 1024 * 1024;
const ROW_BYTES = 128;
const BUDGET = 1.2;

/** Bytes of everything that stores a session's output: the log and the conversation's messages. */
async function storedBytes(sql: Sql): Promise<number> {
  // VACUUM FULL rewrites both tables, so the size is what live rows take (in production autovacuum
  // makes the space of merged-away rows reusable instead of returning it).
  await sql`vacuum full session_chunks`;
  await sql`vacuum full messages`;
  const [row] = await sql<{ bytes: string }[]>`
    select pg_total_relation_size('session_chunks') + pg_total_relation_size('messages') as bytes`;
  return Number(row!.bytes);
}

/** 1 MiB of text no compression shrinks (random characters, some of them multi-byte). */
function incompressibleText(bytes: number): string {
  const alphabet = [
    ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;\n",
    "é",
    "ß",
    "日",
  ];
  let state = 19;
  const characters: string[] = [];
  for (let size = 0; size < bytes; ) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const character = alphabet[(state >>> 8) % alphabet.length]!;
    characters.push(character);
    size += Buffer.byteLength(character);
  }
  return characters.join("");
}

/** One session written in small checkpoints, finished (which compacts it), measured before and after. */
async function measure(sql: Sql, label: string, text: string): Promise<void> {
  const empty = await storedBytes(sql);
  const started = await benchSession(sql);
  let offset = 0;
  for (const row of splitOnCharacters(text, ROW_BYTES)) {
    const written = await appendCheckpoint(sql, {
      sessionId: started.sessionId,
      epoch: started.epoch,
      startOffset: offset,
      text: row,
      leaseSeconds: 60,
    });
    if (written !== "ok") throw new Error(`append at ${offset}: ${written}`);
    offset += Buffer.byteLength(row);
  }
  const small = await storedBytes(sql);
  await finishSession(sql, {
    sessionId: started.sessionId,
    epoch: started.epoch,
    status: "completed",
    run: null,
    error: null,
  });
  if ((await readLogText(sql, started.sessionId)) !== text) throw new Error("compaction changed the text");
  const compacted = await storedBytes(sql);
  const [rows] = await sql<{ count: number }[]>`
    select count(*)::int from session_chunks where session_id = ${started.sessionId}`;
  const output = Buffer.byteLength(text);
  const ratio = (compacted - empty) / output;
  console.log(
    `  ${label}: ${fmt((small - empty) / output, 2)} stored bytes per output byte in ${ROW_BYTES}-byte rows → ` +
      `${fmt(ratio, 3)} after compaction (${rows!.count} rows) (budget ≤ ${BUDGET}) ${ratio <= BUDGET ? "ok" : "OVER BUDGET"}`,
  );
  await sql`delete from sessions where id = ${started.sessionId}`;
}

/**
 * Stored bytes per output byte (DESIGN §10: ≤ 1.2 after compaction): a 1 MiB session written in
 * 128-byte checkpoints, the relation sizes of the log and the messages (pg_total_relation_size:
 * heap, TOAST, indexes) before and after the finish path compacts it and stores the text once.
 */
export async function storageCost(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  console.log("\nStored bytes per output byte, 1 MiB session (session_chunks + messages, pg relation sizes)");
  try {
    await measure(sql, "incompressible text", incompressibleText(OUTPUT_BYTES));
    const tokens = Math.ceil(OUTPUT_BYTES / 6);
    const agentText = simulatedText("storage", tokens);
    await measure(sql, "agent simulator text", agentText);
  } finally {
    await sql.end();
  }
}
