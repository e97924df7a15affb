// Issue 18's replay figures: only a producer with a live client records where each delta ended (that
// client got one UI chunk per delta); a background producer's rows are one delta each, cut only where
// a mark (a tool call, progress) falls inside one, so its replay is one text-delta per row.
import { describe, expect, test } from "vitest";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { getAgent } from "../../lib/agent/index.ts";
import { readLogText } from "../../lib/db/session-log.ts";
import { SessionNotifications } from "../../lib/db/session-notifications.ts";
import { getSession } from "../../lib/db/sessions.ts";
import { parseEnv } from "../../lib/env.ts";
import { SessionFeed } from "../../lib/session/events.ts";
import { liveChunks } from "../../lib/ui-stream/live.ts";
import { replayUiMessage, uiMessageMeta } from "../../lib/ui-stream/replay.ts";
import { type UiChunk, UiChunkSequencer } from "../../lib/ui-stream/sequence.ts";
import { runFromStart, storePorts } from "../support/runtime.ts";
import { sessionFixture, startTestSession, WORKER_RUN } from "../support/session-fixture.ts";

const { sql, databaseUrl, simulatorUrl } = await sessionFixture();
const notifications = new SessionNotifications(sql);
const MESSAGE = "#sim tokens=400 rate=0 stages=3 seed=delta-ends";

type Rows = Awaited<ReturnType<typeof rows>>;
/** What the log held just before the session finished (finishing compacts it), and its replay then. */
type BeforeFinish = { log: Rows; chunks: UiChunk[] };

/**
 * Runs the session to its end with the simulator, in 64-byte rows; with `feed` as a live runner.
 * Returns the log and its UI replay as they were before the session finished (and was compacted).
 */
async function run(sessionId: string, epoch: number, feed?: SessionFeed): Promise<BeforeFinish> {
  const env = parseEnv({ DATABASE_URL: databaseUrl, ...simulatorAgentsEnv(simulatorUrl()) });
  const ports = storePorts(sql);
  let before: BeforeFinish | undefined;
  const outcome = await runFromStart(
    { sessionId, epoch },
    {
      ports: {
        ...ports,
        finish: async (input) => {
          before = { log: await rows(sessionId), chunks: await replay(sessionId) };
          return ports.finish(input);
        },
      },
      agent: getAgent(env, "sim-chat"),
      content: MESSAGE,
      ...(feed ? { feed } : {}),
      checkpoint: { intervalMs: 20, maxBytes: 64, leaseSeconds: 30 },
    },
  );
  expect(outcome.kind).toBe("completed");
  return before!;
}

async function replay(sessionId: string): Promise<UiChunk[]> {
  const chunks: UiChunk[] = [];
  await replayUiMessage(
    { sql, notifications },
    {
      session: (await getSession(sql, sessionId))!,
      emit: (chunk) => chunks.push(chunk),
      signal: new AbortController().signal,
      follow: false,
    },
  );
  return chunks;
}

async function rows(sessionId: string) {
  return sql<{ start_offset: string; end_offset: string; delta_ends: string[] | null }[]>`
    select start_offset, end_offset, delta_ends from session_chunks
    where session_id = ${sessionId} order by start_offset`;
}

const textBefore = (chunks: UiChunk[], index: number) =>
  chunks
    .slice(0, index)
    .map((chunk) => (chunk.type === "text-delta" ? chunk.delta : ""))
    .join("");

describe("delta ends in the log", () => {
  test("a background runner records none: its UI replay is one text-delta per row, tool calls after their text", async () => {
    const started = await startTestSession(sql, { title: "background", message: MESSAGE, ...WORKER_RUN });
    const { log, chunks: unfinished } = await run(started.sessionId, started.epoch);
    const marks = await sql<{ at: string }[]>`
      select at from session_marks where session_id = ${started.sessionId} and kind = 'tool' order by at, seq`;
    expect(log.length).toBeGreaterThan(10);
    expect(marks).toHaveLength(3);
    // A row is cut only where a mark falls inside it (then at the mark and at its end).
    for (const row of log) {
      if (row.delta_ends === null) continue;
      expect(row.delta_ends.at(-1)).toBe(row.end_offset);
      expect(row.delta_ends.length).toBeLessThanOrEqual(2);
    }
    expect(log.filter((row) => row.delta_ends === null).length).toBeGreaterThanOrEqual(log.length - 3);

    // Compaction (at the finish) keeps every chunk and its number: the replay only gains its end.
    const chunks = await replay(started.sessionId);
    expect(chunks.slice(0, unfinished.length)).toEqual(unfinished);
    expect(chunks.slice(unfinished.length).map((chunk) => chunk.type)).toEqual([
      "text-end",
      "finish-step",
      "finish",
    ]);
    const deltas = chunks.filter((chunk) => chunk.type === "text-delta");
    const cuts = log.reduce((sum, row) => sum + (row.delta_ends?.length ?? 1), 0);
    expect(deltas).toHaveLength(cuts);
    const text = await readLogText(sql, started.sessionId);
    expect(deltas.map((chunk) => chunk.delta).join("")).toBe(text);
    // Each tool call comes after exactly the text written before it.
    const bytes = Buffer.from(text);
    const tools = chunks.flatMap((chunk, index) => (chunk.type === "tool-input-start" ? [index] : []));
    expect(tools.map((index) => textBefore(chunks, index))).toEqual(
      marks.map((mark) => bytes.subarray(0, Number(mark.at)).toString()),
    );
  });

  test("a live runner records every delta: its UI replay is the live response's text-deltas, one by one", async () => {
    const started = await startTestSession(sql, { title: "live", message: MESSAGE });
    const feed = new SessionFeed();
    const sequencer = new UiChunkSequencer(uiMessageMeta((await getSession(sql, started.sessionId))!));
    const live: UiChunk[] = sequencer.start();
    feed.subscribe((event) => live.push(...liveChunks(sequencer, event, started.epoch)));
    const { log } = await run(started.sessionId, started.epoch, feed);
    expect(log.every((row) => row.delta_ends !== null)).toBe(true);
    const replayed = await replay(started.sessionId);
    const liveDeltas = live.filter((chunk) => chunk.type === "text-delta");
    expect(liveDeltas.length).toBeGreaterThan(log.length);
    expect(replayed.filter((chunk) => chunk.type === "text-delta")).toEqual(liveDeltas);
  });
});
