import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { type StreamMeasurements, streamMeter } from "../../app/session-stream/stream-meter.ts";

let latest: StreamMeasurements;
let stop: () => void;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["performance"] });
  stop = streamMeter.enable((measurements) => {
    latest = measurements;
  });
});
afterEach(() => {
  stop();
  vi.useRealTimers();
});

test("paced events: time to headers, first byte and first event, sizes and gaps, no warning", () => {
  streamMeter.opened("POST /api/chat", true);
  vi.advanceTimersByTime(40);
  streamMeter.headers();
  for (let i = 0; i < 30; i++) {
    vi.advanceTimersByTime(25);
    streamMeter.chunk();
    streamMeter.event(JSON.stringify({ text: "héllo" }));
  }
  expect(latest).toMatchObject({
    connection: "POST /api/chat",
    toHeadersMs: 40,
    toFirstByteMs: 65,
    toFirstEventMs: 65,
    events: 30,
    largestEventBytes: 17,
    eventBytes: 30 * 17,
    medianGapMs: 25,
    largestGapMs: 25,
    bufferingWarning: null,
  });
});

test("events held and delivered in one read after a silence raise the buffering warning", () => {
  streamMeter.opened("POST /api/chat", true);
  streamMeter.headers();
  vi.advanceTimersByTime(4000);
  streamMeter.chunk();
  // One network read carrying many events: they are parsed over a few ms, yet arrived together.
  for (let i = 0; i < 20; i++) {
    vi.advanceTimersByTime(i % 4 === 0 ? 6 : 0);
    streamMeter.event(JSON.stringify({ text: "x" }));
  }
  expect(latest.largestBurst).toBe(20);
  expect(latest.bufferingWarning).toMatch(/20 events arrived at once after 400\d ms of silence/);
});

test("over EventSource (no reads visible) arrival times alone decide a burst", () => {
  streamMeter.opened("GET /api/sessions/s/stream?offset=0", false);
  for (let i = 0; i < 10; i++) {
    vi.advanceTimersByTime(200);
    streamMeter.event("{}");
  }
  expect(latest.bufferingWarning).toBeNull();
  vi.advanceTimersByTime(1500);
  for (let i = 0; i < 9; i++) streamMeter.event("{}");
  expect(latest.bufferingWarning).toMatch(/9 events arrived at once after 1500 ms/);
});

test("nothing is recorded until the debug panel enables the meter", () => {
  stop();
  streamMeter.opened("POST /api/chat", true);
  streamMeter.event("{}");
  stop = streamMeter.enable((measurements) => {
    latest = measurements;
  });
  expect(latest.connection).not.toBe("POST /api/chat");
});
