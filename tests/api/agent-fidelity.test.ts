import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { simulatorAgents } from "../../dev/agent-sim/agents.ts";
import { type AgentSimulator, startAgentSimulator } from "../../dev/agent-sim/server.ts";
import { freePort } from "../../dev/net.ts";
import { api, readSse, signIn, textOfDeltas, waitFor } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

// Agents as their operators run them: OpenClaw session keys, error codes that blame the agent, and
// seams that keep words apart.
let simulator: AgentSimulator;
let capture: { server: Server; url: string; requests: { headers: IncomingHttpHeaders; body: string }[] };
let stack: TestStack;
let sql: postgres.Sql;
let alice: ReturnType<typeof api>;

/** A recording pass-through in front of the simulator's /openclaw (real HTTP both ways). */
async function startCapture(target: string) {
  const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    requests.push({ headers: request.headers, body });
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "accept", "x-openclaw-session-key"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = await fetch(`${target}${request.url}`, { method: request.method, headers, body });
    response.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "text/plain",
    });
    const reader = upstream.body?.getReader();
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      response.write(value);
    }
    response.end();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${port}`, requests };
}

beforeAll(async () => {
  simulator = await startAgentSimulator({ host: "127.0.0.1", port: await freePort() });
  capture = await startCapture(`${simulator.url}/openclaw`);
  const base = simulatorAgents(simulator.url);
  const claw = base[0];
  const agents = [
    ...base,
    { ...claw, name: "claw-wrong-token", token: "not-the-token" },
    { ...claw, name: "claw-bad-model", model: "gpt-4o" },
    { ...claw, name: "claw-recorded", url: capture.url },
  ];
  stack = await startTestStack({
    env: { AGENTS: JSON.stringify(agents), LIVE_BUDGET_SECONDS: "3", LEASE_SECONDS: "5" },
  });
  await stack.startWorker();
  sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  alice = api(stack.appUrl, await signIn(stack.supabaseUrl, "alice@example.com"));
});
afterAll(async () => {
  await sql?.end();
  await stack?.close();
  await new Promise((resolve) => capture?.server.close(resolve));
  await simulator?.close();
});

test.each([
  ["claw-wrong-token", "bad_gateway:agent_auth"],
  ["claw-bad-model", "bad_gateway:agent_request"],
])(
  "an agent misconfigured as %s fails the session with %s, not a code that blames the user",
  async (agent, code) => {
    const events = await readSse(await alice.chat({ message: "#sim tokens=10\nHello", agent }));
    const error = JSON.parse(events.at(-1)!.data) as { code: string; message: string };
    expect(events.at(-1)?.event).toBe("error");
    expect(error.code).toBe(code);
    expect(error.message).toContain(agent);
    const sessionId = JSON.parse(events[0]!.data).sessionId as string;
    const snapshot = await (await alice.snapshot(sessionId)).json();
    expect(snapshot).toMatchObject({ status: "failed", error: { code } });
  },
);

test("every turn of a conversation goes to the same OpenClaw session, with only what the gateway has not seen", async () => {
  const first = await readSse(
    await alice.chat({ message: "#sim tokens=20 rate=0\nFirst turn", agent: "claw-recorded" }),
  );
  expect(first.at(-1)?.event).toBe("done");
  const { conversationId } = JSON.parse(first[0]!.data) as { conversationId: string };
  const second = await readSse(
    await alice.chat({
      message: "#sim tokens=20 rate=0\nSecond turn",
      agent: "claw-recorded",
      conversationId,
    }),
  );
  expect(second.at(-1)?.event).toBe("done");
  const [one, two] = capture.requests.slice(-2);
  const key = one!.headers["x-openclaw-session-key"];
  expect(key).toBe(`overtime:claw-recorded:conversation:${conversationId}`);
  expect(two!.headers["x-openclaw-session-key"]).toBe(key);
  expect(JSON.parse(two!.body).input).toEqual([
    { type: "message", role: "user", content: "#sim tokens=20 rate=0\nSecond turn" },
  ]);
});

test("a connection-bound run cut at the budget: handoff says a continuation follows, and the seam keeps words apart", async () => {
  const live = await readSse(
    await alice.chat({ message: "#sim tokens=3000 rate=300 seed=seam-words", agent: "sim-openclaw" }),
  );
  const handoff = live.at(-1)!;
  expect(handoff.event).toBe("handoff");
  const { offset, next } = JSON.parse(handoff.data) as { offset: number; next: string };
  expect(next).toBe("continuation");
  const liveText = textOfDeltas(live);
  // The gateway held the space after the last word back and dropped it with the aborted run.
  expect(liveText).toBe(liveText.trimEnd());
  const sessionId = JSON.parse(live[0]!.data).sessionId as string;
  const snapshot = await waitFor(async () => {
    const body = await (await alice.snapshot(sessionId)).json();
    return body.status === "completed" ? body : undefined;
  }, 60_000);
  expect(snapshot.seams).toEqual([offset]);
  const bytes = Buffer.from(snapshot.output, "utf8");
  expect(bytes.subarray(0, offset).toString("utf8")).toBe(liveText);
  expect(bytes.subarray(offset, offset + 1).toString("utf8")).toBe(" ");
  expect(bytes.subarray(offset + 1, offset + 2).toString("utf8")).not.toMatch(/\s/);
  expect(snapshot.seamJoiners).toEqual({ [String(offset)]: " " });
});

test("a detachable agent's handoff says the same run is re-attached", async () => {
  const live = await readSse(
    await alice.chat({ message: "#sim tokens=3000 rate=300 seed=reattach", agent: "sim-openai-bg" }),
  );
  expect(live.at(-1)?.event).toBe("handoff");
  expect(JSON.parse(live.at(-1)!.data).next).toBe("reattach");
});
