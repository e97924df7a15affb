import { describe, expect, test } from "vitest";
import { simulatorAgents } from "../../dev/agent-sim/agents.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { type AgentConfig, getAgent } from "../../lib/agent/index.ts";
import { anthropicTransport } from "../../lib/agent/transports/anthropic.ts";
import { chatCompletionsTransport } from "../../lib/agent/transports/chat-completions.ts";
import { openAiBackgroundTransport } from "../../lib/agent/transports/openai-background.ts";
import { openResponsesTransport } from "../../lib/agent/transports/openresponses.ts";
import { startSession } from "../../lib/db/session-start.ts";
import { getSession } from "../../lib/db/sessions.ts";
import { parseEnv } from "../../lib/env.ts";
import { agentSessionKey, buildAgentRequest } from "../../lib/session/agent-request.ts";
import { cancelSession } from "../../lib/session/cancel.ts";
import { type SessionEvent, SessionFeed } from "../../lib/session/events.ts";
import { runLiveSession } from "../../lib/session/live.ts";
import { waitFor } from "../support/api.ts";
import { testRuntime } from "../support/runtime.ts";
import { ALICE, sessionFixture } from "../support/session-fixture.ts";

// Issue 16 §5: every OpenClaw agent session sees the whole conversation, once, cut answers marked.
const { sql, databaseUrl, simulatorUrl } = await sessionFixture();

/** Two OpenClaw agents on the simulator's gateway, besides the simulator's own four. */
function environment() {
  const claw = (name: string) => ({
    name,
    transport: "openresponses",
    url: `${simulatorUrl()}/openclaw`,
    token: "sim-dev-token",
    model: `openclaw/${name}`,
    price: { input: 3, output: 15 },
  });
  const agents = [...simulatorAgents(simulatorUrl()), claw("alpha"), claw("beta")];
  return parseEnv({
    DATABASE_URL: databaseUrl,
    AGENTS: JSON.stringify(agents),
    DEFAULT_AGENT: "alpha",
    LIVE_BUDGET_SECONDS: "120",
  });
}

/** One turn, run live to its end; `during` runs once the first delta arrived. */
async function turn(options: {
  agent: string;
  message: string;
  conversationId?: string;
  during?: (sessionId: string) => Promise<void>;
}) {
  const env = environment();
  const started = await startSession(sql, {
    userId: ALICE,
    conversationId: options.conversationId,
    message: options.message,
    agent: options.agent,
    mode: "live",
    status: "live",
    runner: "live",
    leaseOwner: "test",
    title: "turns",
    leaseSeconds: 30,
  });
  if (started === "not_found") throw new Error("unexpected");
  const feed = new SessionFeed();
  const events: SessionEvent[] = [];
  let firstDelta: () => void = () => {};
  const deltaArrived = new Promise<void>((resolve) => (firstDelta = resolve));
  feed.subscribe((event) => {
    events.push(event);
    if (event.type === "delta") firstDelta();
  });
  const running = runLiveSession({
    runtime: testRuntime(sql, env),
    sessionId: started.sessionId,
    userId: ALICE,
    epoch: started.epoch,
    agent: getAgent(env, options.agent),
    feed,
  });
  if (options.during) {
    await deltaArrived;
    await options.during(started.sessionId);
  }
  await running;
  // A finished answer's text lives in the session log; the message row holds no copy.
  const [message] = await sql<{ content: string }[]>`
    select coalesce(content, public.session_output(session_id)) as content
    from messages where session_id = ${started.sessionId}`;
  return { ...started, events, answer: message?.content ?? "" };
}

/** What the simulated gateway's model of this (conversation, agent) was given: its transcript. */
async function transcript(agent: string, conversationId: string) {
  const key = agentSessionKey({ agent, conversationId });
  const response = await fetch(`${simulatorUrl()}/openclaw/debug/sessions/${encodeURIComponent(key)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: { role: string; content: string }[] }).messages;
}

const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });

describe("an OpenClaw agent session sees every turn of its conversation exactly once", () => {
  test("turn 2 on another agent gets the whole conversation; back on the first, only what it missed", async () => {
    const one = await turn({ agent: "alpha", message: "#sim tokens=6 rate=0 seed=one\nFirst" });
    const { conversationId } = one;
    expect(one.answer).toBe(simulatedText("one", 6));
    const two = await turn({
      agent: "beta",
      conversationId,
      message: "#sim tokens=6 rate=0 seed=two\nSecond",
    });
    expect(await transcript("beta", conversationId)).toEqual([
      user("#sim tokens=6 rate=0 seed=one\nFirst"),
      assistant(one.answer),
      user("#sim tokens=6 rate=0 seed=two\nSecond"),
      assistant(two.answer),
    ]);
    const three = await turn({
      agent: "alpha",
      conversationId,
      message: "#sim tokens=6 rate=0 seed=3\nThird",
    });
    expect(await transcript("alpha", conversationId)).toEqual([
      user("#sim tokens=6 rate=0 seed=one\nFirst"),
      assistant(one.answer),
      user("#sim tokens=6 rate=0 seed=two\nSecond"),
      assistant(two.answer),
      user("#sim tokens=6 rate=0 seed=3\nThird"),
      assistant(three.answer),
    ]);
    const recorded = await sql`
      select count(*)::int as count from agent_session_messages where conversation_id = ${conversationId}`;
    // alpha: 5 messages sent (u1, then u2 a2 u3), beta: 3 (u1 a1 u2); its own completed answers count as seen.
    expect(recorded[0]!.count).toBe(7);
  });

  test("a cancelled answer goes to the next request as the assistant's message, marked [stopped by the user]", async () => {
    const cancelled = await turn({
      agent: "alpha",
      message: "#sim tokens=4000 rate=100 seed=long\nLong one",
      during: async (sessionId) => {
        await waitFor(async () => ((await getSession(sql, sessionId))?.durableOffset ?? 0) > 0 || undefined);
        await cancelSession({ runtime: testRuntime(sql, environment()), sessionId, userId: ALICE });
      },
    });
    expect(cancelled.answer.length).toBeGreaterThan(0);
    const { conversationId } = cancelled;
    // The gateway aborted the run: its model never saw the partial answer.
    expect(await transcript("alpha", conversationId)).toEqual([
      user("#sim tokens=4000 rate=100 seed=long\nLong one"),
    ]);
    const next = await turn({
      agent: "alpha",
      conversationId,
      message: "#sim tokens=4 rate=0 seed=n\nGo on",
    });
    expect(await transcript("alpha", conversationId)).toEqual([
      user("#sim tokens=4000 rate=100 seed=long\nLong one"),
      assistant(`${cancelled.answer}\n\n[stopped by the user]`),
      user("#sim tokens=4 rate=0 seed=n\nGo on"),
      assistant(next.answer),
    ]);
  });

  test("a failed answer is marked [interrupted], in the request of every transport", async () => {
    const failed = await turn({
      agent: "sim-chat",
      message: "#sim tokens=40 rate=0 seed=f fault=failed@10\nBreaks",
    });
    expect(failed.answer.length).toBeGreaterThan(0);
    const next = await startSession(sql, {
      userId: ALICE,
      conversationId: failed.conversationId,
      message: "And now?",
      agent: "sim-anthropic",
      mode: "background",
      status: "background",
      runner: "worker",
      leaseOwner: "test",
      title: "next",
      leaseSeconds: 30,
    });
    if (next === "not_found") throw new Error("unexpected");
    const session = await getSession(sql, next.sessionId);
    const { request } = await buildAgentRequest(sql, session!, { continuation: false });
    const marked = `${failed.answer}\n\n[interrupted]`;
    expect(request.messages).toEqual([
      user("#sim tokens=40 rate=0 seed=f fault=failed@10\nBreaks"),
      assistant(marked),
      user("And now?"),
    ]);
    const env = environment();
    const transports: [AgentConfig, { buildRequest: typeof openResponsesTransport.buildRequest }][] = [
      [getAgent(env, "alpha"), openResponsesTransport],
      [getAgent(env, "sim-openai-bg"), openAiBackgroundTransport],
      [getAgent(env, "sim-chat"), chatCompletionsTransport],
      [getAgent(env, "sim-anthropic"), anthropicTransport],
    ];
    for (const [agent, transport] of transports) {
      const body = transport.buildRequest(agent, request).body ?? "";
      expect(body, agent.transport).toContain(JSON.stringify(marked).slice(1, -1));
    }
  });
});
