import { describe, expect, test } from "vitest";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { getAgent } from "../../lib/agent/index.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { parseEnv } from "../../lib/env.ts";
import { type SessionEvent, SessionFeed } from "../../lib/session/events.ts";
import { runSession } from "../../lib/session/run-session.ts";
import { storePorts } from "../support/runtime.ts";
import { ALICE, sessionFixture } from "../support/session-fixture.ts";

const { sql, databaseUrl, simulatorUrl } = await sessionFixture();

describe.each(["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"])(
  "progress with %s",
  (agentName) => {
    test("is marked estimated until the agent reports usage, then carries the agent's output tokens", async () => {
      const env = parseEnv({ DATABASE_URL: databaseUrl, ...simulatorAgentsEnv(simulatorUrl()) });
      const message = "#sim tokens=60 rate=0 stages=1 seed=progress";
      const started = await startSession(sql, {
        userId: ALICE,
        message,
        agent: agentName,
        mode: "live",
        status: "live",
        runner: "live",
        leaseOwner: "test",
        title: "progress",
        leaseSeconds: 30,
      });
      if (started === "not_found") throw new Error("unexpected");
      const feed = new SessionFeed();
      const events: SessionEvent[] = [];
      feed.subscribe((event) => events.push(event));
      const outcome = await runSession({
        ports: storePorts(sql),
        sessionId: started.sessionId,
        epoch: started.epoch,
        agent: getAgent(env, agentName),
        request: { messages: [{ role: "user", content: message }] },
        startOffset: 0,
        signal: new AbortController().signal,
        feed,
        checkpoint: { intervalMs: 50, maxBytes: 8192, leaseSeconds: 30 },
      });
      expect(outcome.kind).toBe("completed");
      const progress = events.filter((event) => event.type === "progress");
      const done = events.find((event) => event.type === "done");
      const reported = (done as { usage: { outputTokens: number } | null }).usage!.outputTokens;
      // The tool stage comes mid-stream, before any usage: an estimate, and said so.
      expect(progress.find((event) => event.stage)).toMatchObject({
        stage: expect.any(String),
        estimated: true,
      });
      // Once the agent reports usage, progress carries its count, not the estimate.
      expect(progress.at(-1)).toMatchObject({ outputTokens: reported, estimated: false });
      const [row] = await sql`select progress from sessions where id = ${started.sessionId}`;
      expect(row?.progress).toMatchObject({ outputTokens: reported, estimated: false });
    });
  },
);
