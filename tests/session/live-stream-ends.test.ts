import { describe, expect, test } from "vitest";
import { simulatorAgentsEnv } from "../../dev/agent-sim/agents.ts";
import { getAgent } from "../../lib/agent/index.ts";
import { createSql } from "../../lib/db/client.ts";
import { fenceOutRunner } from "../../lib/db/session-lease.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { parseEnv } from "../../lib/env.ts";
import { type SessionEvent, SessionFeed } from "../../lib/session/events.ts";
import { runLiveSession } from "../../lib/session/live.ts";
import { streamLiveChat } from "../../lib/session/live-response.ts";
import type { SessionTransitions } from "../../lib/session/ports.ts";
import { readSse } from "../support/api.ts";
import { testRuntime } from "../support/runtime.ts";
import { ALICE, sessionFixture } from "../support/session-fixture.ts";

const { sql, databaseUrl, simulatorUrl } = await sessionFixture();

/** Runs a live session to its end and returns every event its client would have seen. */
async function runLive(options: {
  agent: string;
  message: string;
  /** Wraps the lifecycle the runner is given (a test scripting a race). */
  steps?: (transitions: SessionTransitions) => Partial<SessionTransitions>;
  sessionId?: string;
  fence?: boolean;
}) {
  const env = parseEnv({
    DATABASE_URL: databaseUrl,
    ...simulatorAgentsEnv(simulatorUrl()),
    LIVE_BUDGET_SECONDS: "1",
  });
  const started = await startSession(sql, {
    userId: ALICE,
    message: options.message,
    agent: options.agent,
    mode: "live",
    status: "live",
    runner: "live",
    leaseOwner: "test",
    title: "ends",
    leaseSeconds: 30,
  });
  if (started === "not_found") throw new Error("unexpected");
  if (options.fence) await fenceOutRunner(sql, started.sessionId);
  const feed = new SessionFeed();
  const events: SessionEvent[] = [];
  feed.subscribe((event) => events.push(event));
  await runLiveSession({
    runtime: options.steps
      ? testRuntime(sql, env, { transitions: (postgres) => ({ ...postgres, ...options.steps?.(postgres) }) })
      : testRuntime(sql, env),
    sessionId: options.sessionId ?? started.sessionId,
    userId: ALICE,
    epoch: started.epoch,
    agent: getAgent(env, options.agent),
    feed,
  });
  return { events, sessionId: started.sessionId, last: events.at(-1) };
}

describe("every path of a live runner ends its client's stream", () => {
  test("a session that does not exist: error not_found:session", async () => {
    const { last } = await runLive({
      agent: "sim-chat",
      message: "#sim tokens=5",
      sessionId: "00000000-0000-4000-8000-000000000000",
    });
    expect(last).toMatchObject({ type: "error", code: "not_found:session" });
  });

  test("fenced at start (another producer took the session before the first write): handoff", async () => {
    const { last, events } = await runLive({
      agent: "sim-chat",
      message: "#sim tokens=50 rate=0",
      fence: true,
    });
    expect(last).toEqual({ type: "handoff", status: "background", offset: 0 });
    expect(events.filter((event) => event.type === "done")).toEqual([]);
  });

  test("budget reached before the first byte: handoff at offset 0 says `restart` (the request is run again)", async () => {
    for (const agent of ["sim-openclaw", "sim-chat"]) {
      const { events } = await runLive({ agent, message: "#sim tokens=20 rate=0 stall=3000@0" });
      const handoffs = events.filter((event) => event.type === "handoff");
      expect(handoffs[0]).toEqual({ type: "handoff", status: "background", offset: 0, next: "restart" });
      expect(events.filter((event) => event.type === "delta")).toEqual([]);
    }
  });

  test("budget reached after some output: a connection-bound session's handoff says `continuation`", async () => {
    const { events } = await runLive({
      agent: "sim-openclaw",
      message: "#sim tokens=400 rate=100 seed=later",
    });
    const handoff = events.find((event) => event.type === "handoff");
    expect(handoff).toMatchObject({ status: "background", next: "continuation" });
    expect((handoff as { offset: number }).offset).toBeGreaterThan(0);
  });

  test("budget reached, a connection-bound session taken over before it is marked interrupted: handoff", async () => {
    const { last } = await runLive({
      agent: "sim-chat",
      message: "#sim tokens=400 rate=40",
      steps: (postgres) => ({
        interrupt: async (sessionId, epoch) => {
          await fenceOutRunner(sql, sessionId);
          return postgres.interrupt(sessionId, epoch);
        },
      }),
    });
    expect(last).toMatchObject({ type: "handoff", status: "background" });
    expect((last as { offset: number }).offset).toBeGreaterThan(0);
  });

  test("budget reached, a detachable session taken over before the handoff's epoch bump: handoff", async () => {
    const { last } = await runLive({
      agent: "sim-openai-bg",
      message: "#sim tokens=400 rate=40",
      steps: (postgres) => ({
        handOff: async (sessionId, epoch) => {
          await fenceOutRunner(sql, sessionId);
          return postgres.handOff(sessionId, epoch);
        },
      }),
    });
    expect(last).toMatchObject({ type: "handoff", status: "background" });
  });

  test("the database fails at the end (finish throws, and recording the failure throws too): error internal", async () => {
    const failing = () => Promise.reject(new Error("connection terminated"));
    const { last, events } = await runLive({
      agent: "sim-anthropic",
      message: "#sim tokens=20 rate=0",
      steps: () => ({ finish: failing }),
    });
    expect(events.some((event) => event.type === "delta")).toBe(true);
    expect(last).toMatchObject({ type: "error", code: "internal" });
  });

  test("the database is unreachable from the start: error internal", async () => {
    const dead = createSql(databaseUrl.replace(/:(\d+)\//, ":1/"), 1);
    const env = parseEnv({ DATABASE_URL: databaseUrl, ...simulatorAgentsEnv(simulatorUrl()) });
    const feed = new SessionFeed();
    const events: SessionEvent[] = [];
    feed.subscribe((event) => events.push(event));
    try {
      await runLiveSession({
        runtime: testRuntime(dead, env),
        sessionId: "00000000-0000-4000-8000-000000000001",
        userId: ALICE,
        epoch: 1,
        agent: getAgent(env, "sim-chat"),
        feed,
      });
    } finally {
      await dead.end({ timeout: 1 });
    }
    expect(events.at(-1)).toMatchObject({ type: "error", code: "internal" });
  });
});

describe("the live response closes when its runner is done", () => {
  const started = (run: () => Promise<void>) =>
    ({ kind: "live", sessionId: "s", conversationId: "c", epoch: 1, feed: new SessionFeed(), run }) as const;

  test("a runner that returns without a final event: the stream ends with error internal", async () => {
    const { body, run } = streamLiveChat(
      started(async () => {}),
      new AbortController().signal,
    );
    await run;
    const events = await readSse(new Response(body));
    expect(events.map((event) => event.event)).toEqual(["session", "error"]);
    expect(JSON.parse(events[1]!.data)).toMatchObject({ code: "internal" });
  });

  test("a runner that throws: the stream ends with error internal", async () => {
    const { body } = streamLiveChat(
      started(() => Promise.reject(new Error("boom"))),
      new AbortController().signal,
    );
    const events = await readSse(new Response(body));
    expect(events.at(-1)).toMatchObject({ event: "error" });
  });
});
