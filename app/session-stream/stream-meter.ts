/**
 * Measurements of the tab's live event-stream connection for `?debug=stream` (the browser half of the
 * stream doctor). Records nothing until the debug panel enables it; the stream readers call it at
 * three points: a connection opens, its headers arrive, a chunk or an event arrives.
 */
export interface StreamMeasurements {
  /** What is being measured: `POST /api/chat` or the stream endpoint's URL. */
  connection: string | null;
  toHeadersMs: number | null;
  toFirstByteMs: number | null;
  toFirstEventMs: number | null;
  events: number;
  eventBytes: number;
  largestEventBytes: number;
  /** Gaps between consecutive events (ms): the median and the largest. */
  medianGapMs: number | null;
  largestGapMs: number | null;
  /** The most events that arrived together (one network read, or within 5 ms) after a quiet second. */
  largestBurst: number;
  /** Set when bursts look like a buffering proxy: many events held, then released at once. */
  bufferingWarning: string | null;
}

const BURST_WITHIN_MS = 5;
const QUIET_BEFORE_BURST_MS = 1000;
const BURST_WARNING_EVENTS = 8;
const KEPT_GAPS = 500;

function emptyMeasurements(connection: string | null): StreamMeasurements {
  return {
    connection,
    toHeadersMs: null,
    toFirstByteMs: null,
    toFirstEventMs: null,
    events: 0,
    eventBytes: 0,
    largestEventBytes: 0,
    medianGapMs: null,
    largestGapMs: null,
    largestBurst: 0,
    bufferingWarning: null,
  };
}

let enabled = false;
let openedAt = 0;
let lastEventAt: number | null = null;
let burst = { size: 0, quietBefore: 0 };
// The fetch path reports network reads: events of one read arrive together by construction, so only a
// new read ends a burst. EventSource hides reads; there arrival times alone decide.
let readsVisible = false;
let readSinceLastEvent = false;
let gaps: number[] = [];
let current = emptyMeasurements(null);
const listeners = new Set<(measurements: StreamMeasurements) => void>();

const notify = () => {
  for (const listener of listeners) listener(current);
};

export const streamMeter = {
  /** Starts recording; returns a function that stops it. */
  enable(listener: (measurements: StreamMeasurements) => void): () => void {
    enabled = true;
    listeners.add(listener);
    listener(current);
    return () => {
      listeners.delete(listener);
      enabled = listeners.size > 0;
    };
  },
  /** A new connection starts now (the request is about to be sent); `reads`: chunk() will be called. */
  opened(connection: string, reads: boolean): void {
    if (!enabled) return;
    openedAt = performance.now();
    readsVisible = reads;
    readSinceLastEvent = false;
    lastEventAt = null;
    burst = { size: 0, quietBefore: 0 };
    gaps = [];
    current = emptyMeasurements(connection);
    notify();
  },
  headers(): void {
    if (!enabled || current.toHeadersMs !== null) return;
    current = { ...current, toHeadersMs: Math.round(performance.now() - openedAt) };
    notify();
  },
  /** A network read (only the fetch path sees these; EventSource hides them). */
  chunk(): void {
    if (!enabled) return;
    if (current.toFirstByteMs === null) {
      current = { ...current, toFirstByteMs: Math.round(performance.now() - openedAt) };
      notify();
    }
    readSinceLastEvent = true;
  },
  event(data: string): void {
    if (!enabled) return;
    const now = performance.now();
    const dataBytes = new TextEncoder().encode(data).byteLength;
    const gap = lastEventAt === null ? null : now - lastEventAt;
    const sameBurst = gap !== null && (gap <= BURST_WITHIN_MS || (readsVisible && !readSinceLastEvent));
    readSinceLastEvent = false;
    // The first burst's quiet time is the wait since the request went out.
    burst = sameBurst ? { ...burst, size: burst.size + 1 } : { size: 1, quietBefore: gap ?? now - openedAt };
    lastEventAt = now;
    if (gap !== null) {
      gaps.push(gap);
      if (gaps.length > KEPT_GAPS) gaps = gaps.slice(-KEPT_GAPS);
    }
    const sorted = [...gaps].sort((a, b) => a - b);
    const largestBurst = Math.max(
      current.largestBurst,
      burst.quietBefore >= QUIET_BEFORE_BURST_MS ? burst.size : 0,
    );
    current = {
      ...current,
      toFirstEventMs: current.toFirstEventMs ?? Math.round(now - openedAt),
      events: current.events + 1,
      eventBytes: current.eventBytes + dataBytes,
      largestEventBytes: Math.max(current.largestEventBytes, dataBytes),
      medianGapMs: sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)]!) : null,
      largestGapMs: sorted.length ? Math.round(sorted.at(-1)!) : null,
      largestBurst,
      bufferingWarning:
        largestBurst >= BURST_WARNING_EVENTS
          ? `${largestBurst} events arrived at once after ${Math.round(burst.quietBefore)} ms of silence: something between the server and this tab buffers the stream (docs/deploy.md#proxies, or run npm run doctor).`
          : current.bufferingWarning,
    };
    notify();
  },
};
