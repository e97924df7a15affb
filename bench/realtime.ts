import { createSql } from "../lib/db/client.ts";
import { appendCheckpoint } from "../lib/db/session-log.ts";
import { LOCAL_SUPABASE_SECRET_KEY } from "../lib/env.ts";
import { createRealtimePublisher, loadSessionState, RealtimeBroadcaster } from "../lib/realtime/index.ts";
import { Checkpointer } from "../lib/session/checkpointer.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, nowMs, percentile } from "./environment.ts";
import { aliceClient, benchSession, fmt, sseEvents } from "./support.ts";

const SECONDS = 20;

/**
 * Realtime (DESIGN §10): messages per session-minute at 1,000 and 10,000 tokens/s through the real
 * broadcaster and the stand-in (budget ≤ 240), and the latency from a durable append to a subscribed
 * supabase-js client.
 */
export async function realtimeMessages(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 4);
  const alice = await aliceClient(environment.supabaseUrl);
  console.log(
    `\nRealtime messages per session-minute (runner checkpointing to Postgres, broadcasting through the stand-in; ${SECONDS} s per rate, scaled to a minute)`,
  );
  try {
    for (const tokensPerSecond of [1_000, 10_000]) {
      const started = await benchSession(sql);
      const sessionId = started.sessionId;
      const publisher = createRealtimePublisher({
        SUPABASE_URL: environment.supabaseUrl,
        SUPABASE_SECRET_KEY: LOCAL_SUPABASE_SECRET_KEY,
      });
      let messages = 0;
      const broadcaster = new RealtimeBroadcaster({
        publish: (topic, event, payload) => {
          messages += 1;
          if (event === "log") publishedAt.set(payload.to as number, nowMs());
          return publisher.publish(topic, event, payload);
        },
        loadSession: (id) => loadSessionState(sql, id),
        onError: (message, fields) => console.error(message, fields),
      });
      const appendedAt = new Map<number, number>();
      const publishedAt = new Map<number, number>();
      const latencies: number[] = [];
      const waits: number[] = [];
      let subscribed!: () => void;
      const joined = new Promise<void>((resolve) => {
        subscribed = resolve;
      });
      const channel = alice
        .channel(`session:${sessionId}`, { config: { private: true } })
        .on("broadcast", { event: "log" }, ({ payload }) => {
          const at = appendedAt.get(payload.to as number);
          const published = publishedAt.get(payload.to as number);
          if (at !== undefined) latencies.push(nowMs() - at);
          if (at !== undefined && published !== undefined) waits.push(published - at);
        })
        .subscribe((status) => status === "SUBSCRIBED" && subscribed());
      await joined;
      const checkpointer = new Checkpointer({
        store: async (write) => {
          const result = await appendCheckpoint(sql, write);
          const to = write.startOffset + Buffer.byteLength(write.text, "utf8");
          if (write.text) {
            // Latency is measured against the last append a message covers (coalescing waits on purpose).
            appendedAt.set(to, nowMs());
            broadcaster.appended({ sessionId, from: write.startOffset, to, text: write.text });
          }
          return result;
        },
        sessionId,
        epoch: started.epoch,
        startOffset: 0,
        intervalMs: 250,
        maxBytes: 8192,
        leaseSeconds: 60,
      });
      const begin = performance.now();
      let tokens = 0;
      while (performance.now() - begin < SECONDS * 1000) {
        const due = Math.floor(((performance.now() - begin) / 1000) * tokensPerSecond);
        for (; tokens < due; tokens++) {
          checkpointer.push("tök3n ");
          if (tokens % 50 === 0) {
            broadcaster.progress(sessionId, {
              stage: "writing",
              outputTokens: tokens,
              elapsedMs: Math.round(performance.now() - begin),
            });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await checkpointer.flush();
      const perMinute = (messages * 60) / SECONDS;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      console.log(
        `  ${String(tokensPerSecond).padStart(6)} tokens/s: ${fmt(perMinute, 0)} messages/session-minute (budget ≤ 240); ` +
          `append → subscribed client p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms ` +
          `(${latencies.length} log messages; DESIGN: p50 < 100 ms; of which waiting for a slot: p50 ${fmt(percentile(waits, 50), 1)} ms)`,
      );
      await alice.removeChannel(channel);
      publisher.forget(`session:${sessionId}`);
    }
  } finally {
    alice.realtime.disconnect();
    await sql.end();
  }
}

/**
 * Web-server request-seconds to follow one background session to its end: an SSE tail of the stream
 * endpoint (held open for the whole run) versus Realtime plus catch-up reads (`?follow=0`), both
 * following the same session in the same run. The 10-minute session is scaled down to `minutes`.
 */
export async function realtimeFollowCost(environment: BenchEnvironment): Promise<void> {
  const minutes = 1;
  const app = await environment.startApp();
  await environment.startWorker();
  const token = await signIn(environment.supabaseUrl, "alice@example.com");
  const alice = await aliceClient(environment.supabaseUrl);
  const headers = { authorization: `Bearer ${token}` };
  const tokens = 40 * 60 * minutes;
  console.log(
    `\nFollowing one background session (${minutes} min at 40 tokens/s, scaled down from 10 min): web-server request-seconds`,
  );
  const response = await fetch(`${app.url}/api/chat`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ message: `#sim tokens=${tokens} rate=40 seed=bench-follow`, mode: "background" }),
  });
  const { sessionId } = (await response.json()) as { sessionId: string };
  const streamUrl = (offset: number, follow: boolean) =>
    `${app.url}/api/sessions/${sessionId}/stream?offset=${offset}${follow ? "" : "&follow=0"}`;

  // Follower 1: the SSE tail, one request for the whole run.
  const sse = (async () => {
    const begin = performance.now();
    for await (const event of sseEvents(await fetch(streamUrl(0, true), { headers }))) {
      if (event.event === "done" || event.event === "error") break;
    }
    return (performance.now() - begin) / 1000;
  })();

  // Follower 2: Realtime, reading the log only on (re)join, gaps and the end.
  const realtime = (async () => {
    let offset = 0;
    let requestSeconds = 0;
    let requests = 0;
    let finished = false;
    let reading: Promise<void> | null = null;
    const catchUp = () => {
      reading ??= (async () => {
        const begin = performance.now();
        requests += 1;
        for await (const event of sseEvents(await fetch(streamUrl(offset, false), { headers }))) {
          if (event.event === "delta")
            offset += Buffer.byteLength((JSON.parse(event.data) as { text: string }).text);
          if (event.event === "done" || event.event === "error") finished = true;
        }
        requestSeconds += (performance.now() - begin) / 1000;
        reading = null;
      })();
      return reading;
    };
    const channel = alice
      .channel(`session:${sessionId}`, { config: { private: true } })
      .on("broadcast", { event: "*" }, ({ event, payload }) => {
        if (event === "log") {
          if (payload.to <= offset) return;
          if (payload.from > offset || typeof payload.text !== "string") void catchUp();
          else offset = payload.to;
        } else if (event === "status" && ["completed", "failed", "cancelled"].includes(payload.status)) {
          void catchUp();
        }
      })
      .subscribe((status) => status === "SUBSCRIBED" && void catchUp());
    while (!finished) await new Promise((resolve) => setTimeout(resolve, 200));
    await alice.removeChannel(channel);
    return { requestSeconds, requests };
  })();

  const [sseSeconds, rt] = await Promise.all([sse, realtime]);
  const scale = 10 / minutes;
  console.log(
    `  SSE tail: ${fmt(sseSeconds, 1)} request-seconds (${fmt(sseSeconds * scale, 0)} for 10 min, and Vercel cuts it at 800 s)`,
  );
  console.log(
    `  Realtime: ${fmt(rt.requestSeconds, 2)} request-seconds in ${rt.requests} catch-up reads (${fmt(rt.requestSeconds * scale, 1)} for 10 min if gaps scale with time), no request held open`,
  );
  alice.realtime.disconnect();
}
