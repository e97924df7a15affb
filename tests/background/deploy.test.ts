import { expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { api, readSse, signIn, textOfDeltas, waitFor } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";

const { stack, sql } = withStack({ worker: "stack", sql: 2 });

test("a deploy (SIGTERM to the web server) hands live sessions to the background at once, losing nothing", async () => {
  const seed = "deploy";
  const alice = api(stack.appUrl, await signIn(stack.supabaseUrl, "alice@example.com"));
  const response = await alice.chat({
    message: `#sim tokens=2000 rate=200 seed=${seed}`,
    agent: "sim-openai-bg",
  });
  let sessionId = "";
  let deltas = 0;
  const events = await readSse(response, {
    until: (event) => {
      if (event.event === "session") sessionId = JSON.parse(event.data).sessionId;
      // The whole server process group, as a container stop or a platform deploy sends it.
      if (event.event === "delta" && ++deltas === 20) process.kill(-stack.appProcess!.pid!, "SIGTERM");
      return false;
    },
  });
  const last = events.at(-1)!;
  expect(last.event).toBe("handoff");
  const offset = JSON.parse(last.data).offset as number;
  expect(Buffer.byteLength(textOfDeltas(events))).toBe(offset);
  // The worker finishes it from the checkpointed cursor: the log holds exactly the simulator's text.
  const row = await waitFor(async () => {
    const [session] = await sql`select status, runner from sessions where id = ${sessionId}`;
    return session?.status === "completed" ? session : undefined;
  });
  expect(row.runner).toBe("worker");
  const [log] = await sql`select string_agg(text, '' order by start_offset) as text from session_chunks
                          where session_id = ${sessionId}`;
  expect(log!.text).toBe(simulatedText(seed, 2000));
});
