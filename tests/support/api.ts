import { createClient } from "@supabase/supabase-js";
import type { EventSourceMessage } from "eventsource-parser";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { parseCursor } from "../../lib/session/wire.ts";

export const DEV_PASSWORD = "overtime-dev";

/** Signs in through the Supabase stand-in with the real client; returns the access token. */
export async function signIn(supabaseUrl: string, email: string, password = DEV_PASSWORD): Promise<string> {
  const supabase = createClient(supabaseUrl, "sb_publishable_test", {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { data, error } = await supabase.auth.signInWithPassword({ email, password });
  if (error || !data.session) throw new Error(`sign-in failed for ${email}: ${error?.message}`);
  return data.session.access_token;
}

/** Creates a user through the stand-in's signup and returns its access token. */
export async function signUp(supabaseUrl: string, email: string, password = "s3cret-pass"): Promise<string> {
  const supabase = createClient(supabaseUrl, "sb_publishable_test", {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { data, error } = await supabase.auth.signUp({ email, password });
  if (error || !data.session) throw new Error(`sign-up failed for ${email}: ${error?.message}`);
  return data.session.access_token;
}

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** The SSE events of a response, as they arrive; the body is cancelled when the reading stops. */
export async function* sseEvents(response: Response): AsyncGenerator<EventSourceMessage> {
  yield* readStream(
    response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()),
    "cancel",
  );
}

/**
 * A stream's chunks as they arrive. When the reading stops (the end, a `break`, a throw), `"cancel"`
 * cancels the stream (the response body is let go of); `"release"` only releases the reader's lock.
 */
export async function* readStream<T>(
  stream: ReadableStream<T>,
  whenStopped: "cancel" | "release",
): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    if (whenStopped === "cancel") await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

/** Reads a whole SSE response (until the server closes it or `until` says stop). */
export async function readSse(
  response: Response,
  options: { until?: (event: SseEvent) => boolean; signal?: AbortSignal } = {},
): Promise<SseEvent[]> {
  if (!response.body) throw new Error("no body");
  const events: SseEvent[] = [];
  for await (const value of sseEvents(response)) {
    const event = { event: value.event ?? "message", data: value.data, id: value.id };
    events.push(event);
    if (options.until?.(event)) break;
  }
  return events;
}

/**
 * The text of all `delta` events, checking each cursor `id` (`<generation>:<offset>`) names the byte
 * offset after its delta; a `rewind` drops what lies past its offset, as every reader must.
 */
export function textOfDeltas(events: SseEvent[], startOffset = 0): string {
  let bytes = Buffer.alloc(0);
  for (const event of events) {
    if (event.event === "rewind") {
      const { offset } = JSON.parse(event.data) as { offset: number };
      if (offset < startOffset) throw new Error(`rewind to ${offset}, before the start ${startOffset}`);
      bytes = bytes.subarray(0, offset - startOffset);
      continue;
    }
    if (event.event !== "delta") continue;
    const piece = (JSON.parse(event.data) as { text: string }).text;
    bytes = Buffer.concat([bytes, Buffer.from(piece, "utf8")]);
    const offset = startOffset + bytes.byteLength;
    const cursor = event.id === undefined ? null : parseCursor(event.id);
    if (cursor?.offset !== offset || cursor.epoch === null)
      throw new Error(`delta id ${event.id} but offset is ${offset}`);
  }
  return bytes.toString("utf8");
}

export function api(appUrl: string, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  const chat = (body: unknown, init: RequestInit = {}) =>
    fetch(`${appUrl}/api/chat`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    });
  return {
    chat,
    /** Starts a session in the background (`POST /api/chat`, mode background): its id, once answered 202. */
    startBackground: async (body: Record<string, unknown>): Promise<string> => {
      const response = await chat({ ...body, mode: "background" });
      // Not vitest's expect: the benches use this client too.
      if (response.status !== 202) {
        throw new Error(`POST /api/chat answered ${response.status}, not 202: ${await response.text()}`);
      }
      return ((await response.json()) as { sessionId: string }).sessionId;
    },
    snapshot: (id: string) => fetch(`${appUrl}/api/sessions/${id}`, { headers }),
    stream: (id: string, query = "", init: RequestInit = {}) =>
      fetch(`${appUrl}/api/sessions/${id}/stream${query}`, {
        ...init,
        headers: { ...headers, ...init.headers },
      }),
    cancel: (id: string) => fetch(`${appUrl}/api/sessions/${id}/cancel`, { method: "POST", headers }),
    list: () => fetch(`${appUrl}/api/sessions`, { headers }),
    conversation: (id: string) => fetch(`${appUrl}/api/conversations/${id}`, { headers }),
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
