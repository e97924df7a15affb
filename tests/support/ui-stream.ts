import {
  parseJsonEventStream,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from "ai";
import postgres from "postgres";
import { signIn } from "./api.ts";
import { startTestStack, type TestStack } from "./stack.ts";

/** A `fetch` that authenticates as a user (what the browser's cookie does). */
export function authedFetch(token: string): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

/**
 * A `fetch` whose first POST /api/chat response breaks (a network error) after `cut` `data:` events:
 * what a dropped connection does to a transport mid-answer.
 */
export function fetchCuttingPost(base: typeof fetch, cut: number): typeof fetch {
  let cutDone = false;
  return async (input, init = {}) => {
    const response = await base(input, init);
    if (cutDone || init.method !== "POST" || !response.body) return response;
    cutDone = true;
    return new Response(cutAfterEvents(response.body, cut), {
      status: response.status,
      headers: response.headers,
    });
  };
}

function cutAfterEvents(body: ReadableStream<Uint8Array>, cut: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let passed = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (true) {
        const frames = buffer.split("\n\n");
        buffer = frames.pop() ?? "";
        for (const frame of frames) {
          if (frame.startsWith("data: {")) {
            if (passed === cut) {
              await reader.cancel();
              controller.error(new TypeError("network error"));
              return;
            }
            passed += 1;
          }
          controller.enqueue(encoder.encode(`${frame}\n\n`));
        }
        if (frames.length > 0) return;
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  });
}

/** Every chunk of a raw UI message stream response, each checked against the AI SDK's own schema. */
export async function readChunks(response: Response): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  const stream = parseJsonEventStream({ stream: response.body!, schema: uiMessageChunkSchema });
  for await (const parsed of iterate(stream)) {
    if (!parsed.success) throw parsed.error;
    chunks.push(parsed.value);
  }
  return chunks;
}

/** The assistant message a stream of chunks assembles into (the AI SDK's own reducer). */
export async function assemble(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream, terminateOnError: true })) last = message;
  return last;
}

export function textOf(message: UIMessage | undefined): string {
  return (message?.parts ?? []).map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** A user message as `useChat` holds it. */
export function userMessage(text: string, id = `u-${Math.random().toString(36).slice(2, 10)}`): UIMessage {
  return { id, role: "user", parts: [{ type: "text", text }] };
}

/** A chat id as `useChat` makes them (16 characters). */
export function newChatId(): string {
  return Math.random().toString(36).slice(2, 10) + Math.random().toString(36).slice(2, 10);
}

/** A ReadableStream as an async iterable (the DOM typings lack it). */
export async function* iterate<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** What the UI message stream tests share: the app, a pool on its database, Alice's and Bob's tokens. */
export interface UiStack {
  stack: TestStack;
  sql: postgres.Sql;
  aliceToken: string;
  bobToken: string;
  /** `${appUrl}/api/chat` */
  api: string;
  close(): Promise<void>;
}

export async function startUiStack(env: Record<string, string>): Promise<UiStack> {
  const stack = await startTestStack({ env });
  const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  return {
    stack,
    sql,
    aliceToken: await signIn(stack.supabaseUrl, "alice@example.com"),
    bobToken: await signIn(stack.supabaseUrl, "bob@example.com"),
    api: `${stack.appUrl}/api/chat`,
    close: async () => {
      await sql.end();
      await stack.close();
    },
  };
}
