import { describe, expect, test } from "vitest";
import { createSseStream, SSE_HEADERS, sseResponse } from "../../lib/http/sse.ts";

async function readAll(stream: ReadableStream<Uint8Array>, limitMs = 2000): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe("the SSE writer", () => {
  test("sends retry first, then events with ids, then closes", async () => {
    const stream = createSseStream((writer) => {
      writer.send("session", { sessionId: "s" });
      writer.send("delta", { text: "héllo\nworld" }, 7);
      writer.close();
    });
    expect(await readAll(stream)).toBe(
      'retry: 2000\n\nevent: session\ndata: {"sessionId":"s"}\n\nid: 7\nevent: delta\ndata: {"text":"héllo\\nworld"}\n\n',
    );
  });

  test("sends a ping comment on the heartbeat interval", async () => {
    // The stream stays open while `start` runs, and closes itself when it resolves.
    const stream = createSseStream(() => new Promise<void>((resolve) => setTimeout(resolve, 130)), {
      heartbeatMs: 40,
    });
    const text = await readAll(stream);
    expect(text.match(/^: ping$/gm)?.length).toBeGreaterThanOrEqual(2);
  });

  test("refuses newlines in event names and ids", () => {
    const errors: unknown[] = [];
    createSseStream((writer) => {
      for (const attempt of [() => writer.send("a\nb", {}), () => writer.send("delta", {}, "1\r2")]) {
        try {
          attempt();
        } catch (error) {
          errors.push(error);
        }
      }
      writer.close();
    });
    expect(errors).toHaveLength(2);
  });

  test("a failure after the headers became an error event, not a silent close", async () => {
    const stream = createSseStream(async () => {
      throw new Error("boom");
    });
    const text = await readAll(stream);
    expect(text).toContain("event: error");
    expect(text).toContain('"code":"internal:stream"');
    expect(text).not.toContain("boom");
  });

  test("stops writing and runs onClose when the client goes away", async () => {
    const client = new AbortController();
    let closed = 0;
    let writer!: { closed: boolean; send(event: string, data: unknown): void };
    createSseStream(
      (w) => {
        writer = w;
      },
      { signal: client.signal, onClose: () => closed++ },
    );
    client.abort();
    expect(writer.closed).toBe(true);
    writer.send("delta", { text: "late" });
    expect(closed).toBe(1);
  });

  test("closes itself when start resolves: the reader sees the end, onClose runs once", async () => {
    let closed = 0;
    const stream = createSseStream(
      async (writer) => {
        await Promise.resolve();
        writer.send("done", { ok: true });
      },
      { onClose: () => closed++ },
    );
    expect(await readAll(stream)).toBe('retry: 2000\n\nevent: done\ndata: {"ok":true}\n\n');
    expect(closed).toBe(1);
  });

  test("closes itself when start returns without a promise", async () => {
    const stream = createSseStream((writer) => writer.send("session", {}));
    expect(await readAll(stream)).toBe("retry: 2000\n\nevent: session\ndata: {}\n\n");
  });

  test("closes itself when start throws synchronously, after an error event", async () => {
    let closed = 0;
    const stream = createSseStream(
      () => {
        throw new Error("sync boom");
      },
      { onClose: () => closed++ },
    );
    const text = await readAll(stream);
    expect(text).toContain("event: error");
    expect(text).not.toContain("sync boom");
    expect(closed).toBe(1);
  });

  test("a client that goes away aborts the writer's signal: start stops, nothing more is written", async () => {
    const client = new AbortController();
    let closed = 0;
    const afterAbort: boolean[] = [];
    let stopped!: () => void;
    const startEnded = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    const stream = createSseStream(
      async (writer) => {
        writer.send("tick", { seq: 0 });
        await new Promise<void>((resolve) => writer.signal.addEventListener("abort", () => resolve()));
        writer.send("tick", { seq: 1 });
        afterAbort.push(writer.closed);
        stopped();
      },
      { signal: client.signal, onClose: () => closed++ },
    );
    const reader = stream.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("retry: 2000\n\n");
    client.abort();
    await startEnded;
    expect(afterAbort).toEqual([true]);
    expect(closed).toBe(1);
    await reader.cancel();
  });

  test("responses carry the headers of DESIGN §5", () => {
    const response = sseResponse(new ReadableStream());
    for (const [name, value] of Object.entries(SSE_HEADERS)) expect(response.headers.get(name)).toBe(value);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  });
});
