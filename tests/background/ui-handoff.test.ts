import { WorkflowChatTransport } from "@workflow/ai";
import { DefaultChatTransport, type UIMessage } from "ai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OvertimeChatTransport } from "../../lib/ui-stream/overtime-chat-transport.ts";
import { signIn } from "../support/api.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";
import { assemble, authedFetch, iterate, newChatId, textOf, userMessage } from "../support/ui-stream.ts";

let stack: TestStack;
let token: string;
let api: string;

beforeAll(async () => {
  stack = await startTestStack({
    env: { LIVE_BUDGET_SECONDS: "2", LEASE_SECONDS: "5", CHAT_REQUESTS_PER_MINUTE: "1000" },
  });
  await stack.startWorker();
  token = await signIn(stack.supabaseUrl, "alice@example.com");
  api = `${stack.appUrl}/api/chat`;
});
afterAll(async () => {
  await stack?.close();
});

const agents = ["sim-openclaw", "sim-openai-bg", "sim-chat", "sim-anthropic"] as const;

/** The session's final text (the message id is the session id): what every transport must assemble. */
async function finalText(sessionId: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  for (;;) {
    const snapshot = (await (
      await fetch(`${stack.appUrl}/api/sessions/${sessionId}`, { headers })
    ).json()) as {
      status: string;
      output: string;
    };
    if (snapshot.status === "completed") return snapshot.output;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function send(chatId: string, messages: UIMessage[], agent: string) {
  return {
    chatId,
    messages,
    trigger: "submit-message" as const,
    messageId: undefined,
    abortSignal: undefined,
    body: { agent, mode: "live" },
  };
}

describe.each(agents)("a live answer of %s that hands off at a 2 s budget", (agent) => {
  const question = (seed: string) => userMessage(`#sim tokens=400 rate=100 seed=${seed}\nLong one`);

  test("WorkflowChatTransport continues with no app code (no finish → reconnect by index → finish)", async () => {
    const seed = `ui-handoff-wf-${agent}`;
    const transport = new WorkflowChatTransport({
      api,
      fetch: authedFetch(token),
      prepareSendMessagesRequest: ({ messages }) => ({ body: { messages, agent, mode: "live" } }),
    });
    const message = await assemble(await transport.sendMessages(send(newChatId(), [question(seed)], agent)));
    expect(textOf(message)).toBe(await finalText(message!.id));
  });

  test("OvertimeChatTransport continues by itself, and says it watches the session while it follows", async () => {
    const seed = `ui-handoff-ot-${agent}`;
    const watches: Promise<string>[] = [];
    const fetchAndRecord: typeof fetch = (input, init) => {
      const answer = authedFetch(token)(input, init);
      if (init?.method === "POST" && String(input).endsWith("/watch"))
        watches.push(answer.then((response) => `${response.status} ${String(input)}`));
      return answer;
    };
    const transport = new OvertimeChatTransport({ api, fetch: fetchAndRecord });
    const message = await assemble(await transport.sendMessages(send(newChatId(), [question(seed)], agent)));
    expect(textOf(message)).toBe(await finalText(message!.id));
    // At once, then every 30 s while it follows (this one lasts a few seconds).
    const answers = new Set(await Promise.all(watches));
    expect(answers).toEqual(new Set([`204 ${stack.appUrl}/api/sessions/${message!.id}/watch`]));
  });

  test("DefaultChatTransport: the response ends without finish at the cut; resumeStream's reconnect ends with the exact text", async () => {
    const seed = `ui-handoff-default-${agent}`;
    const chatId = newChatId();
    const transport = new DefaultChatTransport({ api, fetch: authedFetch(token) });
    const types: string[] = [];
    for await (const chunk of iterate(await transport.sendMessages(send(chatId, [question(seed)], agent))))
      types.push(chunk.type);
    expect(types).not.toContain("finish");
    const resumed = await assemble((await transport.reconnectToStream({ chatId }))!);
    expect(textOf(resumed)).toBe(await finalText(resumed!.id));
  });
});
