"use client";

import { useEffect, useState } from "react";
import { type StreamMeasurements, streamMeter } from "../session-stream/stream-meter.ts";

const ms = (value: number | null) => (value === null ? "—" : `${value} ms`);

/** `?debug=stream`: the live connection's time to first byte, event sizes and gaps, and a buffering warning. */
export function StreamDebugPanel() {
  const [measurements, setMeasurements] = useState<StreamMeasurements | null>(null);
  useEffect(() => {
    if (new URLSearchParams(window.location.search).get("debug") !== "stream") return;
    return streamMeter.enable((next) => setMeasurements(next));
  }, []);
  if (measurements === null) return null;
  const m = measurements;
  return (
    <aside className="stream-debug" data-testid="stream-debug" aria-label="Stream measurements">
      <strong>Stream debug</strong> {m.connection ?? "no connection yet"}
      <dl>
        <dt>headers / first byte / first event</dt>
        <dd data-testid="stream-debug-first-byte">
          {ms(m.toHeadersMs)} / {ms(m.toFirstByteMs)} / {ms(m.toFirstEventMs)}
        </dd>
        <dt>events</dt>
        <dd data-testid="stream-debug-events">
          {m.events} ({m.eventBytes} B, largest {m.largestEventBytes} B)
        </dd>
        <dt>gap between events (median / largest)</dt>
        <dd data-testid="stream-debug-gaps">
          {ms(m.medianGapMs)} / {ms(m.largestGapMs)}
        </dd>
        <dt>largest burst after a quiet second</dt>
        <dd>{m.largestBurst} events</dd>
      </dl>
      {m.bufferingWarning ? (
        <p className="stream-debug-warning" role="alert" data-testid="stream-debug-warning">
          {m.bufferingWarning}
        </p>
      ) : null}
    </aside>
  );
}
