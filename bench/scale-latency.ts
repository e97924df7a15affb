import { writeFileSync } from "node:fs";
import { percentile } from "./environment.ts";
import type { WorkerTrace } from "./scale-worker.ts";

/** A `log` message a supabase-js follower (a tab) received, and when (wall clock). */
export interface Received {
  seed: number;
  to: number;
  from: number;
  at: number;
}

export interface Quantiles {
  p50: number;
  p99: number;
}

/** Watched follower latency, agent send → subscriber, and where it goes, for every token delivered. */
export interface FollowerLatency extends Quantiles {
  samples: number;
  stages: {
    /** Agent send → its bytes durable (runner read, checkpoint pace, checkpoint write). */
    durable: Quantiles;
    /** Durable → the `log` carrying them handed to Realtime (the broadcaster's pacing and queue). */
    queued: Quantiles;
    /** That send → Realtime's 202 (HTTP, the write authorization, fan-out). */
    answered: Quantiles;
    /** That send → the subscriber's callback. */
    delivered: Quantiles;
  };
}

type Series = [number, ...number[]][];

/** The first entry whose key (index 0) is ≥ `end`, in a series sorted by its key (binary search). */
function firstAtOrAfter<T extends [number, ...number[]]>(series: T[], end: number): T | undefined {
  let low = 0;
  let high = series.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (series[mid]![0] < end) low = mid + 1;
    else high = mid;
  }
  return series[low];
}

function bySession<T>(rows: T[], id: (row: T) => string, entry: (row: T) => [number, ...number[]]) {
  const map = new Map<string, Series>();
  for (const row of rows) {
    const list = map.get(id(row)) ?? [];
    list.push(entry(row));
    map.set(id(row), list);
  }
  for (const list of map.values()) list.sort((a, b) => a[0] - b[0]);
  return map;
}

const quantiles = (values: number[]): Quantiles => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
});

/**
 * Agent send → subscriber arrival for every token a `log` message delivered, and the same split at
 * the runner's durable append and at the broadcast's send (workers' traces; all clocks are wall
 * clocks of one machine).
 */
export function followerLatency(
  sent: Map<number, [number, number][]>,
  received: Received[],
  ids: string[],
  traces: WorkerTrace[],
  /** Only tokens the agent sent in this span (wall clock ms), e.g. while every session ran. */
  span: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
): FollowerLatency {
  const appends = bySession(
    traces.flatMap((trace) => trace.appends),
    ([id]) => id,
    ([, to, at]) => [to, at],
  );
  const logs = bySession(
    traces.flatMap((trace) => trace.logs),
    ([id]) => id,
    ([, from, to, sendAt, answeredAt]) => [to, from, sendAt, answeredAt],
  );
  const total: number[] = [];
  /** Every token's times, for SCALE_TRACE_FILE: seed, end offset, sent, durable, broadcast, 202, received. */
  const rows: number[][] = [];
  const stages = {
    durable: [] as number[],
    queued: [] as number[],
    answered: [] as number[],
    delivered: [] as number[],
  };
  for (const message of received) {
    const id = ids[message.seed]!;
    for (const [end, at] of sent.get(message.seed) ?? []) {
      if (end <= message.from || end > message.to || at < span[0] || at > span[1]) continue;
      total.push(message.at - at);
      const durable = firstAtOrAfter(appends.get(id) ?? [], end);
      const log = firstAtOrAfter(logs.get(id) ?? [], end);
      if (!durable || !log) continue;
      const [, durableAt] = durable;
      const [, , sendAt, answeredAt] = log as [number, number, number, number];
      rows.push([message.seed, end, at, durableAt!, sendAt, answeredAt, message.at]);
      stages.durable.push(durableAt! - at);
      stages.queued.push(sendAt - durableAt!);
      stages.answered.push(answeredAt - sendAt);
      stages.delivered.push(message.at - sendAt);
    }
  }
  if (process.env.SCALE_TRACE_FILE && span[0] === Number.NEGATIVE_INFINITY)
    writeFileSync(process.env.SCALE_TRACE_FILE, JSON.stringify(rows));
  return {
    ...quantiles(total),
    samples: total.length,
    stages: {
      durable: quantiles(stages.durable),
      queued: quantiles(stages.queued),
      answered: quantiles(stages.answered),
      delivered: quantiles(stages.delivered),
    },
  };
}
