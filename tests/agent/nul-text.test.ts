import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { agentEventsFromBytes } from "../../lib/agent/agent-event-stream.ts";
import { ChatCompletionsFrameMapper } from "../../lib/agent/transports/chat-completions-events.ts";
import { createTestDatabase } from "../support/database.ts";
import { chunksAt, collect, textOf } from "./support/event-collection.ts";

/** A chat-completions stream whose content carries a NUL (JSON `\u0000`), as a broken agent may send. */
const frames = [
  { choices: [{ index: 0, delta: { role: "assistant", content: "before" } }] },
  { choices: [{ index: 0, delta: { content: "\u0000after" } }] },
  { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
]
  .map((frame) => `data: ${JSON.stringify(frame)}\n\n`)
  .concat("data: [DONE]\n\n")
  .join("");

let database: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

test("a NUL in an agent's text reaches the reader as U+FFFD, which Postgres text can store", async () => {
  const bytes = new TextEncoder().encode(frames);
  const events = await collect(agentEventsFromBytes(chunksAt(bytes, []), new ChatCompletionsFrameMapper()));
  const text = textOf(events);
  expect(text).toBe("before\uFFFDafter");
  expect(events.at(-1)).toMatchObject({ type: "done" });

  // The reason: Postgres refuses U+0000 in text, so the raw text could never be checkpointed.
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await expect(sql`select ${"before\u0000after"}::text as text`).rejects.toThrow(/0x00/);
    const [row] = await sql<{ text: string }[]>`select ${text}::text as text`;
    expect(row?.text).toBe(text);
  } finally {
    await sql.end();
  }
});
