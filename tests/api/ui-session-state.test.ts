import { describe, expect, test } from "vitest";
import { z } from "zod";
import { withStack } from "../support/fixtures.ts";
import { newChatId, readChunks, userMessage } from "../support/ui-stream.ts";

const { stack, token } = withStack({
  env: { CHAT_REQUESTS_PER_MINUTE: "1000" },
  signIn: "alice@example.com",
});

const STATE_HEADER = { "x-overtime-session-state": "1" };

function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${stack.appUrl}/api/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token()}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

function readStream(sessionId: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.appUrl}/api/chat/${sessionId}/stream`, {
    headers: { authorization: `Bearer ${token()}`, ...headers },
  });
}

const isSessionPart = (chunk: { type: string }) => chunk.type === "data-session";

describe("what the web app reads from the UI message stream besides text", () => {
  test("a reader that asks gets data-session parts (status, runner, seams), transient and outside the numbering", async () => {
    const response = await post(
      { id: newChatId(), messages: [userMessage("#sim tokens=120 rate=0 seed=state-parts")], mode: "live" },
      STATE_HEADER,
    );
    const sessionId = response.headers.get("x-workflow-run-id")!;
    const live = await readChunks(response);
    expect(live.filter(isSessionPart)).toEqual([
      { type: "data-session", transient: true, data: { status: "live", runner: "live", seams: [] } },
    ]);
    // Without the parts, the live response is chunk for chunk what a plain reader reads.
    const plain = await readChunks(await readStream(sessionId));
    expect(plain.some(isSessionPart)).toBe(false);
    expect(live.filter((chunk) => !isSessionPart(chunk))).toEqual(plain);
    // A replay that asks says how the session stands as it reads it: finished, here.
    const replay = await readChunks(await readStream(sessionId, STATE_HEADER));
    expect(replay.filter(isSessionPart).at(-1)).toMatchObject({ data: { status: "completed" } });
  });

  test("finish carries the status, usage and cost (the snapshot's), so a page needs no second read", async () => {
    const response = await post({
      id: newChatId(),
      messages: [userMessage("#sim tokens=80 rate=0 seed=finish-meta")],
    });
    const sessionId = response.headers.get("x-workflow-run-id")!;
    const finish = (await readChunks(response)).at(-1);
    const snapshot = await (
      await fetch(`${stack.appUrl}/api/sessions/${sessionId}`, {
        headers: { authorization: `Bearer ${token()}` },
      })
    ).json();
    expect(finish).toMatchObject({
      type: "finish",
      finishReason: "stop",
      messageMetadata: { status: "completed", usage: snapshot.usage, costUsd: snapshot.costUsd },
    });
    expect(snapshot.usage.outputTokens).toBeGreaterThan(0);
  });

  test("conversationId continues a conversation whatever chat id the page holds", async () => {
    const first = await readChunks(
      await post({ id: newChatId(), messages: [userMessage("#sim tokens=5 rate=0\nFirst")] }),
    );
    const started = first[0];
    if (started?.type !== "start") throw new Error("no start chunk");
    const meta = z.object({ conversationId: z.string() }).parse(started.messageMetadata);
    const second = await readChunks(
      await post({
        id: newChatId(),
        conversationId: meta.conversationId,
        messages: [userMessage("#sim tokens=5 rate=0\nSecond")],
      }),
    );
    expect(second[0]).toMatchObject({
      type: "start",
      messageMetadata: { conversationId: meta.conversationId },
    });
  });
});
