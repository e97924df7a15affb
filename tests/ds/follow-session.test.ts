import type { ChildProcess } from "node:child_process";
import { type LiveMode, stream } from "@durable-streams/client";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { api, readSse, signIn } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import { killWorker, workerRunning } from "../support/workers.ts";

let stack: TestStack;
let sql: postgres.Sql;
let token: string;
let alice: ReturnType<typeof api>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      // Live sessions hand off after 3 s; a killed worker's lease runs out after 3 s.
      LIVE_BUDGET_SECONDS: "3",
      LEASE_SECONDS: "3",
      // Short long-polls and SSE connections: the client reconnects many times on the way.
      DS_LONG_POLL_SECONDS: "2",
      DS_SSE_SECONDS: "2",
      CHAT_REQUESTS_PER_MINUTE: "1000",
    },
  });
  workers.push(await stack.startWorker(), await stack.startWorker());
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  token = await signIn(stack.supabaseUrl, "alice@example.com");
  alice = api(stack.appUrl, token);
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
});

interface Followed {
  text: string;
  /** Each chunk's `offset` (the stream's next offset after it) and the bytes received up to it. */
  chunks: { offset: string; bytes: number }[];
}

/** Follows a session's Durable Stream with the official client until `Stream-Closed`. */
async function follow(sessionId: string, live: LiveMode, offset: string): Promise<Followed> {
  const response = await stream({
    url: `${stack.appUrl}/api/ds/v1/stream/sessions/${sessionId}`,
    offset,
    live,
    headers: { authorization: `Bearer ${token}` },
  });
  const decoder = new TextDecoder();
  const followed: Followed = { text: "", chunks: [] };
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    response.subscribeBytes((chunk) => {
      followed.text += decoder.decode(chunk.data, { stream: true });
      bytes += chunk.data.byteLength;
      followed.chunks.push({ offset: chunk.offset, bytes });
      if (chunk.streamClosed) resolve();
    });
    // `closed` may settle just before the last chunk reaches the subscriber: give that a moment.
    const ended = () => setTimeout(() => reject(new Error("the stream ended before Stream-Closed")), 2000);
    response.closed.then(ended, reject);
  });
  response.cancel();
  return followed;
}

test.each<LiveMode>(["long-poll", "sse"])(
  "@durable-streams/client follows a session in %s mode from -1 across a handoff and a worker kill, to Stream-Closed",
  async (live) => {
    const seed = `ds-follow-${live}`;
    // A live chat: the tab leaves after the first event; the runner hands off at the 3 s budget.
    const chat = await alice.chat({
      message: `#sim tokens=3000 rate=300 seed=${seed}`,
      agent: "sim-openai-bg",
    });
    const [first] = await readSse(chat, { until: () => true });
    const sessionId = JSON.parse(first!.data).sessionId as string;

    const following = follow(sessionId, live, "-1");
    killWorker(workers, (await workerRunning(sql, sessionId)).pid);
    const followed = await following;
    workers.push(await stack.startWorker());

    const truth = simulatedText(seed, 3000);
    expect(followed.text).toBe(truth);
    // It really went live → handoff (epoch 2) → first worker (3) → another after the kill (4+).
    const [row] = await sql`select status, epoch, seam_offsets from sessions where id = ${sessionId}`;
    expect(row).toMatchObject({ status: "completed", seam_offsets: [] });
    expect(row!.epoch).toBeGreaterThanOrEqual(4);
    // Offsets are zero-padded byte offsets: they sort as strings.
    const offsets = followed.chunks.map((chunk) => chunk.offset);
    expect(offsets.every((offset) => /^\d{16}$/.test(offset))).toBe(true);
    expect([...offsets].sort()).toEqual(offsets);
    expect(Number(offsets.at(-1))).toBe(Buffer.byteLength(truth));

    // A second client starting at a mid offset gets exactly the rest.
    const mid = followed.chunks.find((chunk) => chunk.bytes >= Buffer.byteLength(truth) / 2)!;
    expect(mid.bytes).toBeLessThan(Buffer.byteLength(truth));
    const rest = await follow(sessionId, live, mid.offset);
    expect(rest.text).toBe(Buffer.from(truth).subarray(mid.bytes).toString("utf8"));
  },
  90_000,
);
