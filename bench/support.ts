import { readFileSync } from "node:fs";
import { EventSourceParserStream } from "eventsource-parser/stream";
import type { Sql } from "../lib/db/client.ts";
import { type StartSessionInput, startSession } from "../lib/db/session-start.ts";
import { nowMs } from "./environment.ts";

export const ALICE = "a11ce000-0000-4000-8000-000000000001";
export const fmt = (value: number, digits = 2) => value.toFixed(digits);

/** A session row for Alice, live by default, to write a log into directly. */
export async function benchSession(sql: Sql, overrides: Partial<StartSessionInput> = {}) {
  const started = await startSession(sql, {
    userId: ALICE,
    message: "bench",
    agent: "sim-chat",
    mode: "live",
    status: "live",
    runner: "live",
    leaseOwner: "bench",
    title: "bench",
    leaseSeconds: 60,
    ...overrides,
  });
  if (started === "not_found") throw new Error("unexpected");
  return started;
}

/** The SSE events of a response, as they arrive. */
export async function* sseEvents(response: Response): AsyncGenerator<{ event?: string; data: string }> {
  const reader = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** The text `pick` finds in each event, stamped with its arrival time. */
export async function readSsePieces(
  response: Response,
  pick: (event: string | undefined, data: string) => string | null,
) {
  const pieces: { text: string; at: number }[] = [];
  for await (const value of sseEvents(response)) {
    const at = nowMs();
    const text = pick(value.event, value.data);
    if (text) pieces.push({ text, at });
  }
  return pieces;
}

/** Resident memory (KiB) of a process and all its descendants. */
export function treeRssKiB(pid: number): number {
  let total = 0;
  const visit = (current: number) => {
    try {
      const status = readFileSync(`/proc/${current}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const children = readFileSync(`/proc/${current}/task/${current}/children`, "utf8").trim();
      for (const child of children ? children.split(" ") : []) visit(Number(child));
    } catch {
      // The process ended while we looked.
    }
  };
  visit(pid);
  return total;
}

export function postChat(
  appUrl: string,
  token: string,
  message: string,
  signal?: AbortSignal,
  agent?: string,
): Promise<Response> {
  return fetch(`${appUrl}/api/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ message, mode: "live", ...(agent ? { agent } : {}) }),
    signal,
  });
}
