import type { StreamReading } from "./probe.ts";

export const CHECK_NAMES = [
  "headers",
  "first-byte",
  "buffering",
  "compression",
  "idle",
  "http-version",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** What was measured, in a sentence. */
  detail: string;
  /** Where the fix is (a section of docs/deploy.md) and what it says; empty when the check passed. */
  fix: string;
}

/** The sections of docs/deploy.md each fault points at. */
export const FIXES: Record<CheckName, string> = {
  headers:
    "docs/deploy.md#proxies: pass the app's response headers through unchanged (Content-Type text/event-stream, Cache-Control no-cache, no-transform).",
  "first-byte":
    "docs/deploy.md#proxies: turn response buffering off for the app (nginx `proxy_buffering off;`), so headers and the first event leave at once.",
  buffering:
    'docs/deploy.md#proxies: turn response buffering off (nginx `proxy_buffering off;` and do not `proxy_ignore_headers X-Accel-Buffering`; ingress-nginx `proxy-buffering: "off"`).',
  compression:
    "docs/deploy.md#proxies: do not compress text/event-stream (nginx: leave it out of `gzip_types`; Cloudflare: a compression rule that disables it for /api/).",
  idle: "docs/deploy.md#proxies: raise the proxy's idle/read timeout well above the 15 s ping (nginx `proxy_read_timeout 1h;`, AWS ALB idle timeout, GCP backend service timeout).",
  "http-version":
    "docs/deploy.md#proxies: serve the app over HTTPS with HTTP/2, so a browser's tabs are not limited to 6 event streams per host.",
};

/** Limits the checks apply; generous, because proxies that buffer are off by seconds, not milliseconds. */
export const LIMITS = {
  /** Headers and the first event must arrive within this (ms). */
  firstEventMs: 5000,
  /** Ticks arriving within this many ms of one another count as one burst. */
  burstGapMs: 50,
  /**
   * A burst is buffering when it holds ticks sent this far apart (ms), at least 3 tick intervals and at
   * least half the stream: a proxy that buffers holds the whole stream (or kilobytes of it, many
   * seconds of ticks), while a busy machine's stall is shorter.
   */
  burstSpanMs: 1500,
};

const pass = (name: CheckName, detail: string): CheckResult => ({ name, ok: true, detail, fix: "" });
const fail = (name: CheckName, detail: string): CheckResult => ({
  name,
  ok: false,
  detail,
  fix: FIXES[name],
});

/** Content type, cache control, and X-Accel-Buffering as the client received them. */
export function checkHeaders(reading: StreamReading): CheckResult {
  const { headers } = reading;
  const problems: string[] = [];
  if (!/^text\/event-stream\b/i.test(headers["content-type"] ?? ""))
    problems.push(`Content-Type is ${headers["content-type"] ?? "missing"}, not text/event-stream`);
  const cacheControl = headers["cache-control"] ?? "";
  if (!/\bno-cache\b/i.test(cacheControl) && !/\bno-store\b/i.test(cacheControl))
    problems.push(`Cache-Control is "${cacheControl || "missing"}", without no-cache`);
  if (!/\bno-transform\b/i.test(cacheControl)) problems.push("Cache-Control lost no-transform");
  const accel = headers["x-accel-buffering"];
  if (accel !== undefined && accel.toLowerCase() !== "no") problems.push(`X-Accel-Buffering is ${accel}`);
  if (problems.length > 0) return fail("headers", problems.join("; "));
  return pass(
    "headers",
    `Content-Type ${headers["content-type"]}; Cache-Control ${cacheControl}; X-Accel-Buffering ${
      accel ?? "absent (a proxy such as nginx consumes it; the buffering check decides)"
    }`,
  );
}

export function checkFirstByte(reading: StreamReading): CheckResult {
  const first = reading.timeToFirstEventMs;
  const detail = `headers after ${reading.timeToHeadersMs} ms, first byte after ${
    reading.timeToFirstByteMs ?? "—"
  } ms, first event after ${first ?? "—"} ms`;
  if (first === null || first > LIMITS.firstEventMs || reading.timeToHeadersMs > LIMITS.firstEventMs)
    return fail("first-byte", `${detail} (limit ${LIMITS.firstEventMs} ms)`);
  return pass("first-byte", detail);
}

/**
 * Ticks leave the server `tickMs` apart. A proxy that buffers holds them and lets them go together:
 * ticks sent a second or more apart arriving within a few ms of one another.
 */
export function checkBuffering(reading: StreamReading, tickMs: number): CheckResult {
  const ticks = reading.events
    .filter((event) => event.event === "tick")
    .map((event) => ({
      sentAt: (JSON.parse(event.data) as { sentAt: number }).sentAt,
      arrivedAt: event.arrivedAt,
    }));
  if (ticks.length < 3) return fail("buffering", `only ${ticks.length} ticks arrived`);
  const skew = Math.min(...ticks.map((tick) => tick.arrivedAt - tick.sentAt));
  const maxDelay = Math.max(...ticks.map((tick) => tick.arrivedAt - tick.sentAt - skew));
  let worst = { count: 1, spanMs: 0 };
  let burstStart = 0;
  for (let i = 1; i <= ticks.length; i++) {
    const ended = i === ticks.length || ticks[i]!.arrivedAt - ticks[i - 1]!.arrivedAt > LIMITS.burstGapMs;
    if (!ended) continue;
    const spanMs = ticks[i - 1]!.sentAt - ticks[burstStart]!.sentAt;
    if (spanMs > worst.spanMs) worst = { count: i - burstStart, spanMs };
    burstStart = i;
  }
  const detail = `${ticks.length} ticks sent ${tickMs} ms apart; largest burst ${worst.count} ticks sent over ${worst.spanMs} ms; most held ${maxDelay} ms`;
  const sentOver = ticks.at(-1)!.sentAt - ticks[0]!.sentAt;
  if (worst.spanMs >= Math.max(LIMITS.burstSpanMs, 3 * tickMs, sentOver / 2))
    return fail("buffering", `${detail}: something between the app and you buffers the stream`);
  return pass("buffering", detail);
}

export function checkCompression(reading: StreamReading): CheckResult {
  const encoding = reading.headers["content-encoding"];
  if (encoding && encoding !== "identity")
    return fail(
      "compression",
      `the event stream arrived with Content-Encoding: ${encoding}; compressors hold output to fill their window`,
    );
  return pass("compression", "the event stream arrived uncompressed");
}

export function checkIdle(reading: StreamReading | null, idleSeconds: number): CheckResult {
  if (reading === null) return pass("idle", "skipped (--idle 0)");
  const seconds = (reading.endedAfterMs / 1000).toFixed(1);
  if (reading.end === "done")
    return pass(
      "idle",
      `a stream with only pings (${reading.pings} of them) stayed open for ${idleSeconds} s`,
    );
  return fail(
    "idle",
    `the connection was cut after ${seconds} s of a ${idleSeconds} s hold with only pings (${reading.pings} seen${
      reading.error ? `; ${reading.error}` : ""
    })`,
  );
}

/** Over TLS the server should offer HTTP/2; plain http (local, or TLS ended before us) is HTTP/1.1 at best. */
export function checkHttpVersion(reading: StreamReading, tls: { alpn: string } | null): CheckResult {
  if (reading.httpVersion === "1.0")
    return fail(
      "http-version",
      "the response is HTTP/1.0: no chunked transfer, the connection closes after each response",
    );
  if (tls === null)
    return pass(
      "http-version",
      `HTTP/${reading.httpVersion} over plain http (browsers use HTTP/2 only over HTTPS; check the public https:// address)`,
    );
  if (tls.alpn !== "h2")
    return fail(
      "http-version",
      `the TLS server offers ${tls.alpn} only; browsers then open at most 6 event streams per host`,
    );
  return pass("http-version", "HTTP/2 over TLS (ALPN h2)");
}
