import { describe, expect, test } from "vitest";
import {
  checkBuffering,
  checkCompression,
  checkFirstByte,
  checkHeaders,
  checkHttpVersion,
  checkIdle,
} from "../../lib/doctor/checks.ts";
import type { ArrivedEvent, StreamReading } from "../../lib/doctor/probe.ts";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-store, no-transform",
  "x-accel-buffering": "no",
};

function reading(overrides: Partial<StreamReading> = {}): StreamReading {
  return {
    httpVersion: "1.1",
    headers: { ...SSE_HEADERS },
    timeToHeadersMs: 20,
    timeToFirstByteMs: 21,
    timeToFirstEventMs: 22,
    events: [],
    pings: 0,
    end: "done",
    endedAfterMs: 5000,
    ...overrides,
  };
}

/** Ticks sent `tickMs` apart from t=1e12, arriving `skew` later plus `hold(i)`. */
function ticks(
  count: number,
  tickMs: number,
  arrival: (sentAt: number, index: number) => number,
): ArrivedEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const sentAt = 1e12 + index * tickMs;
    const data = JSON.stringify({ seq: index, sentAt });
    return { event: "tick", data, bytes: data.length, arrivedAt: arrival(sentAt, index) };
  });
}

describe("buffering", () => {
  test("ticks arriving as they were sent pass, whatever the clock skew between the two machines", () => {
    const events = ticks(20, 250, (sentAt, i) => sentAt - 3_600_000 + 15 + (i % 3) * 4);
    expect(checkBuffering(reading({ events }), 250).ok).toBe(true);
  });

  test("ticks held and released together fail and point at the proxy section", () => {
    // Everything arrives at the end, within a few ms: a proxy buffer flushed when the response ended.
    const events = ticks(20, 250, (_sentAt, i) => 1e12 + 5000 + i);
    const result = checkBuffering(reading({ events }), 250);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/largest burst 20 ticks/);
    expect(result.fix).toMatch(/docs\/deploy\.md#proxies/);
  });

  test("a short stall (under a second) is not called buffering", () => {
    const events = ticks(20, 250, (sentAt, i) => (i >= 5 && i <= 7 ? 1e12 + 7 * 250 + 10 + i : sentAt + 10));
    expect(checkBuffering(reading({ events }), 250).ok).toBe(true);
  });

  test("a busy machine's 2 s stall in an 8 s stream is not called buffering", () => {
    // Ticks 8..15 (sent over 1.75 s) held by a stalled event loop, then read at once.
    const events = ticks(32, 250, (sentAt, i) =>
      i >= 8 && i <= 15 ? 1e12 + 15 * 250 + 20 + i : sentAt + 20,
    );
    expect(checkBuffering(reading({ events }), 250).ok).toBe(true);
  });

  test("too few ticks to judge is a failure, not a pass", () => {
    expect(checkBuffering(reading({ events: ticks(2, 250, (sentAt) => sentAt) }), 250).ok).toBe(false);
  });
});

describe("the other checks", () => {
  test("headers: the event stream's type and no-transform must survive the path", () => {
    expect(checkHeaders(reading()).ok).toBe(true);
    // nginx consumes X-Accel-Buffering: its absence alone is fine.
    expect(checkHeaders(reading({ headers: { ...SSE_HEADERS, "x-accel-buffering": undefined } })).ok).toBe(
      true,
    );
    const rewritten = checkHeaders(
      reading({ headers: { ...SSE_HEADERS, "cache-control": "public, max-age=60" } }),
    );
    expect(rewritten.ok).toBe(false);
    expect(rewritten.detail).toMatch(/no-cache/);
    expect(checkHeaders(reading({ headers: { ...SSE_HEADERS, "content-type": "text/html" } })).ok).toBe(
      false,
    );
    expect(checkHeaders(reading({ headers: { ...SSE_HEADERS, "x-accel-buffering": "yes" } })).ok).toBe(false);
  });

  test("first-byte: a first event later than 5 s fails", () => {
    expect(checkFirstByte(reading()).ok).toBe(true);
    expect(checkFirstByte(reading({ timeToFirstEventMs: 5200 })).ok).toBe(false);
    expect(checkFirstByte(reading({ timeToFirstEventMs: 4000 })).ok).toBe(true);
    expect(checkFirstByte(reading({ timeToFirstEventMs: null })).ok).toBe(false);
  });

  test("compression: any Content-Encoding on the event stream fails", () => {
    expect(checkCompression(reading()).ok).toBe(true);
    const gzip = checkCompression(reading({ headers: { ...SSE_HEADERS, "content-encoding": "gzip" } }));
    expect(gzip.ok).toBe(false);
    expect(gzip.fix).toMatch(/gzip_types/);
  });

  test("idle: a hold cut before `done` fails with when it was cut; --idle 0 is a skip", () => {
    expect(checkIdle(reading({ pings: 5 }), 75).ok).toBe(true);
    const cut = checkIdle(
      reading({ end: "error", endedAfterMs: 60_020, error: "the connection was cut" }),
      75,
    );
    expect(cut.ok).toBe(false);
    expect(cut.detail).toMatch(/cut after 60\.0 s of a 75 s hold/);
    expect(checkIdle(null, 0)).toMatchObject({ ok: true, detail: "skipped (--idle 0)" });
  });

  test("http-version: HTTP/1.0 fails; over TLS only h2 passes", () => {
    expect(checkHttpVersion(reading(), null).ok).toBe(true);
    expect(checkHttpVersion(reading({ httpVersion: "1.0" }), null).ok).toBe(false);
    expect(checkHttpVersion(reading(), { alpn: "h2" }).ok).toBe(true);
    expect(checkHttpVersion(reading(), { alpn: "http/1.1" }).ok).toBe(false);
  });
});
