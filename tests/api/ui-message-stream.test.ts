import { WorkflowChatTransport } from "@workflow/ai";
import { DefaultChatTransport } from "ai";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import { deleteExpiredSessionLogs } from "../../lib/db/session-log-storage.ts";
import { OvertimeChatTransport } from "../../lib/ui-stream/overtime-chat-transport.ts";
import { signUp, waitFor } from "../support/api.ts";
import type { TestStack } from "../support/stack.ts";
import {
  assemble,
  authedFetch,
  fetchCuttingPost,
  iterate,
  newChatId,
  readChunks,
  newTurn as send,
  startUiStack,
  textOf,
  type UiStack,
  userMessage,
} from "../support/ui-stream.ts";

let ui: UiStack;
let stack: TestStack;
let sql: postgres.Sql;
let aliceToken: string;
let bobToken: string;
let api: string;

beforeAll(async () => {
  ui = await startUiStack({ CHAT_REQUESTS_PER_MINUTE: "1000", MAX_LIVE_SESSIONS_PER_USER: "50" });
  ({ stack, sql, aliceToken, bobToken, api } = ui);
});
afterAll(() => ui?.close());

const agents = ["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"] as const;

async function sessionOutput(sessionId: string): Promise<{ status: string; output: string }> {
  return waitFor(async () => {
    const response = await fetch(`${stack.appUrl}/api/sessions/${sessionId}`, {
      headers: { authorization: `Bearer ${aliceToken}` },
    });
    const snapshot = (await response.json()) as { status: string; output: string };
    return ["completed", "failed", "cancelled"].includes(snapshot.status) ? snapshot : undefined;
  });
}

function post(body: unknown, token = aliceToken): Promise<Response> {
  return fetch(api, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe.each(agents)("useChat's transports against %s", (agent) => {
  test("DefaultChatTransport: the UI message stream v1 assembles into exactly the session's text", async () => {
    const seed = `ui-default-${agent}`;
    const chatId = newChatId();
    const response = await post({
      id: chatId,
      messages: [userMessage(`#sim tokens=200 rate=0 seed=${seed} stages=2\nHello`)],
      trigger: "submit-message",
      agent,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const sessionId = response.headers.get("x-workflow-run-id")!;
    const chunks = await readChunks(response);
    expect(chunks[0]).toMatchObject({
      type: "start",
      messageId: sessionId,
      messageMetadata: { sessionId, agent },
    });
    // The first step opens with its runner (the live runner's first write); only progress (data
    // parts, no step) may come before it or before its first text.
    const types = chunks.map((chunk) => chunk.type);
    const step = types.indexOf("start-step");
    expect(types.slice(step, step + 2)).toEqual(["start-step", "data-runner"]);
    const progress = (type: string) => type === "data-progress" || type === "data-credits";
    expect(types.slice(step + 2).find((type) => !progress(type))).toBe("text-start");
    expect(types.slice(1, step).filter((type) => !progress(type))).toEqual([]);
    expect(chunks.slice(-3).map((chunk) => chunk.type)).toEqual(["text-end", "finish-step", "finish"]);
    expect(chunks.at(-1)).toMatchObject({ finishReason: "stop" });
    const truth = simulatedText(seed, 200);
    expect((await sessionOutput(sessionId)).output).toBe(truth);

    const transport = new DefaultChatTransport({ api, fetch: authedFetch(aliceToken) });
    const message = await assemble(
      await transport.sendMessages(
        send(newChatId(), [userMessage(`#sim tokens=200 rate=0 seed=${seed}\nHi`)], { body: { agent } }),
      ),
    );
    expect(textOf(message)).toBe(truth);
  });

  test("chunk N is the same chunk on every read: the live response equals every replay from any index", async () => {
    const seed = `ui-numbering-${agent}`;
    const response = await post({
      id: newChatId(),
      messages: [userMessage(`#sim tokens=400 rate=0 seed=${seed}\nNumber them`)],
      agent,
    });
    const sessionId = response.headers.get("x-workflow-run-id")!;
    const live = await readChunks(response);
    // Many deltas per checkpoint row: the replay must cut rows where the live response cut them.
    const deltas = live.filter((chunk) => chunk.type === "text-delta").length;
    const [rows] = await sql<
      { n: number }[]
    >`select count(*)::int as n from session_chunks where session_id = ${sessionId}`;
    expect(deltas).toBeGreaterThan(rows!.n * 5);
    const headers = { authorization: `Bearer ${aliceToken}` };
    const replay = await readChunks(await fetch(`${api}/${sessionId}/stream`, { headers }));
    expect(replay).toEqual(live);
    for (const index of [1, 2, 3, 17, Math.floor(live.length / 2), live.length - 2]) {
      const from = await readChunks(
        await fetch(`${api}/${sessionId}/stream?startIndex=${index}`, { headers }),
      );
      expect(from).toEqual(live.slice(index));
    }
    const tail = await fetch(`${api}/${sessionId}/stream?startIndex=-5`, { headers });
    expect(tail.headers.get("x-workflow-stream-tail-index")).toBe(String(live.length - 1));
    expect(await readChunks(tail)).toEqual(live.slice(-5));
  });

  test("WorkflowChatTransport and OvertimeChatTransport: a response cut at random chunks resumes to the exact text", async () => {
    const seed = `ui-cut-${agent}`;
    const truth = simulatedText(seed, 300);
    const base = authedFetch(aliceToken);
    for (const cut of [1, 2, 5 + Math.floor(Math.random() * 40), 60 + Math.floor(Math.random() * 200)]) {
      const text = `#sim tokens=300 rate=0 seed=${seed}\nCut at ${cut}`;
      const workflow = new WorkflowChatTransport({
        api,
        fetch: fetchCuttingPost(base, cut),
        prepareSendMessagesRequest: ({ messages, body }) => ({ body: { ...body, messages, agent } }),
      });
      const viaWorkflow = await assemble(await workflow.sendMessages(send(newChatId(), [userMessage(text)])));
      expect(textOf(viaWorkflow), `WorkflowChatTransport cut at ${cut}`).toBe(truth);
      const overtime = new OvertimeChatTransport({
        api,
        fetch: fetchCuttingPost(base, cut),
        body: { agent },
      });
      const viaOvertime = await assemble(await overtime.sendMessages(send(newChatId(), [userMessage(text)])));
      expect(textOf(viaOvertime), `OvertimeChatTransport cut at ${cut}`).toBe(truth);
    }
  });

  test("DefaultChatTransport with resume: a reload mid-answer reconnects by chat id to the exact text", async () => {
    const seed = `ui-reload-${agent}`;
    const chatId = newChatId();
    const transport = new DefaultChatTransport({ api, fetch: fetchCuttingPost(authedFetch(aliceToken), 8) });
    const first = await transport.sendMessages(
      send(chatId, [userMessage(`#sim tokens=200 rate=100 seed=${seed}\nReload me`)], { body: { agent } }),
    );
    await expect(assemble(first)).rejects.toThrow();
    const resumed = await transport.reconnectToStream({ chatId });
    expect(resumed).not.toBeNull();
    const message = await assemble(resumed!);
    expect(textOf(message)).toBe(simulatedText(seed, 200));
    // Nothing runs in the chat any more: the resume endpoint says so with 204.
    expect(await transport.reconnectToStream({ chatId })).toBeNull();
  });

  test("stop: POST /api/chat/{id}/stop cancels, the stream ends with abort + finish, the partial text is kept", async () => {
    const chatId = newChatId();
    const transport = new DefaultChatTransport({ api, fetch: authedFetch(aliceToken) });
    const stream = await transport.sendMessages(
      send(chatId, [userMessage(`#sim tokens=2000 rate=40 seed=ui-stop-${agent}\nStop me`)], {
        body: { agent },
      }),
    );
    const chunks: string[] = [];
    let text = "";
    let stopped: Response | undefined;
    for await (const chunk of iterate(stream)) {
      chunks.push(chunk.type);
      if (chunk.type === "text-delta") text += chunk.delta;
      if (chunks.length === 10)
        stopped = await fetch(`${api}/${chatId}/stop`, {
          method: "POST",
          headers: { authorization: `Bearer ${aliceToken}` },
        });
    }
    expect(stopped?.status).toBe(200);
    expect(await stopped!.json()).toEqual({ status: "cancelled" });
    expect(chunks.slice(-2)).toEqual(["abort", "finish"]);
    const [row] = await sql<{ id: string }[]>`
      select s.id from sessions s join conversations c on c.id = s.conversation_id where c.chat_id = ${chatId}`;
    const session = await sessionOutput(row!.id);
    expect(session.status).toBe("cancelled");
    expect(text).toBe(session.output);
    const again = await fetch(`${api}/${chatId}/stop`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}` },
    });
    expect(again.status).toBe(409);
  });
});

describe("the chat, its turns and its errors", () => {
  test("regenerate-message re-runs the last turn as a new session and replaces its assistant message", async () => {
    const chatId = newChatId();
    const transport = new DefaultChatTransport({ api, fetch: authedFetch(aliceToken) });
    const question = userMessage("#sim tokens=50 rate=0 seed=ui-regen\nAgain");
    const first = await assemble(await transport.sendMessages(send(chatId, [question])));
    const second = await assemble(
      await transport.sendMessages({
        ...send(chatId, [question, first!]),
        trigger: "regenerate-message",
        messageId: first!.id,
      }),
    );
    expect(second!.id).not.toBe(first!.id);
    expect(textOf(second)).toBe(simulatedText("ui-regen", 50));
    const messages = await sql<{ role: string; session_id: string | null }[]>`
      select m.role, m.session_id from messages m join conversations c on c.id = m.conversation_id
      where c.chat_id = ${chatId} order by m.created_at, m.role desc`;
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(messages[1]!.session_id).toBe(second!.id);
  });

  test("a second turn continues the same conversation; the same chat id from another user is another conversation", async () => {
    const chatId = newChatId();
    const a = await post({ id: chatId, messages: [userMessage("#sim tokens=20 rate=0\nOne")] });
    await readChunks(a);
    const b = await post({ id: chatId, messages: [userMessage("#sim tokens=20 rate=0\nTwo")] });
    await readChunks(b);
    const bob = await post({ id: chatId, messages: [userMessage("#sim tokens=20 rate=0\nMine")] }, bobToken);
    await readChunks(bob);
    const rows = await sql<{ user_id: string; sessions: number }[]>`
      select c.user_id, count(s.id)::int as sessions from conversations c join sessions s on s.conversation_id = c.id
      where c.chat_id = ${chatId} group by c.id, c.user_id order by sessions desc`;
    expect(rows.map((row) => row.sessions)).toEqual([2, 1]);
    expect(rows[0]!.user_id).not.toBe(rows[1]!.user_id);
  });

  test("another user's running chat is 204 to them, and not theirs to stop", async () => {
    const chatId = newChatId();
    const response = await post({ id: chatId, messages: [userMessage("#sim tokens=400 rate=40\nSlow")] });
    const sessionId = response.headers.get("x-workflow-run-id")!;
    const asBob = { authorization: `Bearer ${bobToken}` };
    expect((await fetch(`${api}/${chatId}/stream`, { headers: asBob })).status).toBe(204);
    expect((await fetch(`${api}/${sessionId}/stream`, { headers: asBob })).status).toBe(204);
    expect((await fetch(`${api}/${chatId}/stop`, { method: "POST", headers: asBob })).status).toBe(409);
    const mine = await fetch(`${api}/${chatId}/stop`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}` },
    });
    expect(mine.status).toBe(200);
    await readChunks(response);
  });

  test("errors before the stream are JSON with codes; after it starts, an error chunk with a sentence", async () => {
    const anonymous = await fetch(api, {
      method: "POST",
      body: JSON.stringify({ messages: [userMessage("hi")] }),
    });
    expect(anonymous.status).toBe(401);
    const badId = await post({ id: "no spaces", messages: [userMessage("hi")] });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ code: "bad_request:chat", field: "id" });
    const noText = await post({ messages: [{ id: "x", role: "user", parts: [{ type: "file" }] }] });
    expect(await noText.json()).toMatchObject({ code: "bad_request:chat", field: "messages" });
    const own = await post({ message: "" });
    expect(await own.json()).toMatchObject({ code: "bad_request:chat", field: "message" });
    const broke = await signUp(stack.supabaseUrl, `ui-broke-${Date.now()}@example.com`);
    const poor = new DefaultChatTransport({ api, fetch: authedFetch(broke) });
    await expect(poor.sendMessages(send(newChatId(), [userMessage("hi")]))).rejects.toMatchObject({
      statusCode: 402,
    });

    const failing = await post({
      messages: [userMessage("#sim tokens=50 rate=0 fault=failed@10\nFail")],
      agent: "sim-chat",
    });
    const chunks = await readChunks(failing);
    expect(chunks.slice(-2).map((chunk) => chunk.type)).toEqual(["error", "finish"]);
    expect(chunks.at(-2)).toMatchObject({ errorText: expect.stringMatching(/\w+ \w+/) });
    expect(chunks.at(-1)).toMatchObject({ finishReason: "error" });
    expect(
      (await fetch(`${api}/${newChatId()}/stream`, { headers: { authorization: `Bearer ${aliceToken}` } }))
        .status,
    ).toBe(204);
  });

  test("a session whose log the retention sweep deleted is 410 gone:session_log, never an empty message", async () => {
    const response = await post({ messages: [userMessage("#sim tokens=20 rate=0\nKept a while")] });
    const sessionId = response.headers.get("x-workflow-run-id")!;
    await readChunks(response);
    const read = () =>
      fetch(`${api}/${sessionId}/stream`, { headers: { authorization: `Bearer ${aliceToken}` } });
    expect((await read()).status).toBe(200);
    await sql`update sessions set finished_at = now() - interval '40 days' where id = ${sessionId}`;
    expect(await deleteExpiredSessionLogs(sql, 30)).toContain(sessionId);
    const gone = await read();
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ code: "gone:session_log" });
  });
});
