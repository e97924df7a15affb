import { expect, test } from "vitest";
import { turnsBeforeSession } from "../../app/components/transcript.tsx";
import type { Conversation } from "../../app/session-stream/session-types.ts";

const message = (
  id: string,
  role: "user" | "assistant",
  content: string,
  sessionId: string | null = null,
) => ({
  id,
  role,
  content,
  sessionId,
  createdAt: new Date(0).toISOString(),
});

test("the turns before a session end at the user message that started it (user_message_id), whatever the texts", () => {
  // Two identical prompts; the first session ran in the background and its answer was written last.
  const conversation: Conversation = {
    id: "c",
    title: "t",
    createdAt: new Date(0).toISOString(),
    messages: [
      message("u1", "user", "same question"),
      message("u2", "user", "same question"),
      message("a2", "assistant", "second answer", "s2"),
      message("a1", "assistant", "first answer", "s1"),
    ],
  };
  expect(turnsBeforeSession(conversation, "s1", "u1")).toEqual([]);
  expect(turnsBeforeSession(conversation, "s2", "u2").map((turn) => turn.key)).toEqual(["u1"]);
  // The user message is gone: everything before the session's own answer.
  expect(turnsBeforeSession(conversation, "s2", null).map((turn) => turn.key)).toEqual(["u1", "u2"]);
});
