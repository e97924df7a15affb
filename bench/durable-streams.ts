import { createSql } from "../lib/db/client.ts";
import { signIn } from "../tests/support/api.ts";
import { type BenchEnvironment, percentile } from "./environment.ts";
import { idleSessionWithBaseline, sessionWithLog, transactionsPerSecond } from "./read-path.ts";
import { fmt, timeRead } from "./support.ts";

/** The whole 1 MiB through /api/ds (catch-up pages until Stream-Up-To-Date): first byte and total. */
async function timeDsCatchUp(appUrl: string, token: string, sessionId: string, bytes: number) {
  const begin = performance.now();
  let first = 0;
  let received = 0;
  let offset = "-1";
  let requests = 0;
  while (true) {
    const response = await fetch(`${appUrl}/api/ds/v1/stream/sessions/${sessionId}?offset=${offset}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    requests++;
    const reader = response.body!.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!first && value.byteLength > 0) first = performance.now() - begin;
      received += value.byteLength;
    }
    offset = response.headers.get("stream-next-offset")!;
    if (response.headers.get("stream-up-to-date") === "true") break;
  }
  if (received !== bytes) throw new Error(`catch-up read ${received} of ${bytes} bytes`);
  return { first, total: performance.now() - begin, requests };
}

/** The same bytes through the stream endpoint's catch-up read (`?follow=0`). */
function timeStreamEndpoint(appUrl: string, token: string, sessionId: string) {
  return timeRead(`${appUrl}/api/sessions/${sessionId}/stream?offset=0&follow=0`, token, "event: delta");
}

/** DESIGN §10: resume of 1 MiB through /api/ds within 1.2× of the stream endpoint. */
export async function dsCatchUp(environment: BenchEnvironment): Promise<void> {
  const sql = createSql(environment.databaseUrl, 2);
  const app = await environment.startApp();
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const { sessionId, bytes } = await sessionWithLog(sql, 8192);
    const ds: { first: number; total: number; requests: number }[] = [];
    const endpoint: { first: number; total: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await timeDsCatchUp(app.url, token, sessionId, bytes);
      const b = await timeStreamEndpoint(app.url, token, sessionId);
      if (i === 0) continue;
      ds.push(a);
      endpoint.push(b);
    }
    const p50 = (values: number[]) => percentile(values, 50);
    const dsTotal = p50(ds.map((run) => run.total));
    const endpointTotal = p50(endpoint.map((run) => run.total));
    console.log(
      "\nCatch-up of 1 MiB: /api/ds (Durable Streams) beside /api/sessions/:id/stream?follow=0 (5 runs)",
    );
    console.log(
      `  /api/ds: first byte p50 ${fmt(p50(ds.map((run) => run.first)))} ms, whole p50 ${fmt(dsTotal)} ms in ${ds[0]!.requests} request(s); stream endpoint: first delta p50 ${fmt(p50(endpoint.map((run) => run.first)))} ms, whole p50 ${fmt(endpointTotal)} ms; ratio ${fmt(dsTotal / endpointTotal)}× (budget ≤ 1.2×)`,
    );
  } finally {
    await app.stop();
    await sql.end();
  }
}

/**
 * Database load of 500 idle long-poll readers at the tail of a running session: transactions per
 * second against the same database with none. A waiting long-poll costs nothing (it waits on the
 * process's LISTEN); each poll that times out (every DS_LONG_POLL_SECONDS) costs its re-request.
 */
export async function dsIdleLongPolls(environment: BenchEnvironment): Promise<void> {
  const readers = 500;
  const windowMs = 20_000;
  const longPollSeconds = 20;
  const sql = createSql(environment.databaseUrl, 2);
  const app = await environment.startApp({ DS_LONG_POLL_SECONDS: String(longPollSeconds) });
  const abort = new AbortController();
  let polls = 0;
  try {
    const token = await signIn(environment.supabaseUrl, "alice@example.com");
    const { baseline, sessionId } = await idleSessionWithBaseline(sql, windowMs);
    const url = `${app.url}/api/ds/v1/stream/sessions/${sessionId}`;
    const poll = async () => {
      let offset = "now";
      while (!abort.signal.aborted) {
        const response = await fetch(`${url}?offset=${offset}&live=long-poll`, {
          headers: { authorization: `Bearer ${token}` },
          signal: abort.signal,
        });
        await response.arrayBuffer();
        polls++;
        offset = response.headers.get("stream-next-offset") ?? offset;
      }
    };
    let failure: unknown;
    const running = Array.from({ length: readers }, () =>
      poll().catch((error: unknown) => {
        if (!abort.signal.aborted) failure ??= error;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const pollsBefore = polls;
    const loaded = await transactionsPerSecond(sql, windowMs);
    const pollRate = (polls - pollsBefore) / (windowMs / 1000);
    abort.abort();
    await Promise.all(running);
    if (failure) throw failure;
    console.log(
      `\nDatabase load of ${readers} idle long-poll readers on /api/ds (one next start, ${windowMs / 1000} s window, DS_LONG_POLL_SECONDS=${longPollSeconds})`,
    );
    console.log(
      `  ${fmt(loaded, 1)} transactions/s (baseline, no readers: ${fmt(baseline, 1)}/s) for ${fmt(pollRate, 1)} timed-out polls/s; a re-read per reader every 5 s would be ${fmt((readers * 2) / 5, 0)}/s`,
    );
  } finally {
    abort.abort();
    await app.stop();
    await sql.end();
  }
}
