import { readFileSync } from "node:fs";
import type { AgentEvent } from "../../../lib/agent/index.ts";

export function readFixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Delivers `bytes` as chunks cut at `cuts` (byte offsets; any order, duplicates allowed). */
export async function* chunksAt(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, bytes.length]) {
    yield bytes.subarray(start, point);
    start = point;
  }
}

export async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const collected: AgentEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

export function textOf(events: AgentEvent[]): string {
  return events.map((event) => (event.type === "text" ? event.text : "")).join("");
}

export function lastEvent(events: AgentEvent[]): AgentEvent | undefined {
  return events[events.length - 1];
}

/** Rewrites LF line endings as CRLF or CR (both are valid SSE line terminators). */
export function withLineEndings(bytes: Buffer, ending: "\n" | "\r\n" | "\r"): Buffer {
  const text = bytes.toString("utf8").replace(/\r\n|\r|\n/g, ending);
  return Buffer.from(text, "utf8");
}
