import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Sql } from "../lib/db/client.ts";
import { type StartSessionInput, startSession } from "../lib/db/session-start.ts";
import { createPostgresTransitions } from "../lib/db/session-transitions.ts";
import { sseEvents } from "../tests/support/api.ts";
import { nowMs, percentile } from "./environment.ts";

export { sseEvents };

export const ALICE = "a11ce000-0000-4000-8000-000000000001";
export const fmt = (value: number, digits = 2) => value.toFixed(digits);

/** Prints the per-delta latency of the raw pipe and the live route, and what the product adds. */
export function printLatencyComparison(rawLatency: number[], liveLatency: number[]): void {
  const [rawP50, rawP99] = [percentile(rawLatency, 50), percentile(rawLatency, 99)];
  const [liveP50, liveP99] = [percentile(liveLatency, 50), percentile(liveLatency, 99)];
  console.log(
    `  raw pipe   latency per delta: p50 ${fmt(rawP50)} ms, p99 ${fmt(rawP99)} ms (n=${rawLatency.length})`,
  );
  console.log(
    `  live route latency per delta: p50 ${fmt(liveP50)} ms, p99 ${fmt(liveP99)} ms (n=${liveLatency.length})`,
  );
  console.log(
    `  added by the product:         p50 ${fmt(liveP50 - rawP50)} ms, p99 ${fmt(liveP99 - rawP99)} ms  (budget: p50 < 1 ms, p99 < 5 ms)`,
  );
}

/** A session row for Alice, live by default, to write a log into directly. */
/** Completes a bench session through the lifecycle (the only writer of `sessions.status`). */
export async function completeBenchSession(sql: Sql, session: { sessionId: string; epoch: number }) {
  const transitions = createPostgresTransitions({ sql, observers: [], leaseSeconds: 60 });
  await transitions.finish({ ...session, status: "completed", run: null, error: null });
}

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

const root = path.resolve(import.meta.dirname, "..");
const TICKS_PER_SECOND = 100;

/** A bench script (`bench/<script>`) in its own process, which prints its URL on its first line. */
export async function spawnUrlPrinter(
  script: string,
  args: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    path.join(root, "node_modules", ".bin", "tsx"),
    [path.join(root, "bench", script), ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim().split("\n")[0]!));
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url, child };
}

/** CPU seconds (user + system) used so far by a process and its descendants. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (current: number) => {
    try {
      const stat = readFileSync(`/proc/${current}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
      const children = readFileSync(`/proc/${current}/task/${current}/children`, "utf8").trim();
      for (const child of children ? children.split(" ") : []) visit(Number(child));
    } catch {
      // The process ended while we looked.
    }
  };
  visit(pid);
  return ticks / TICKS_PER_SECOND;
}

/** A supabase-js client signed in as Alice (a browser tab of hers). */
export async function aliceClient(supabaseUrl: string): Promise<SupabaseClient> {
  const client = createClient(supabaseUrl, "sb_publishable_bench", {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { error } = await client.auth.signInWithPassword({
    email: "alice@example.com",
    password: "overtime-dev",
  });
  if (error) throw error;
  return client;
}

/** First `data`/`delta` frame and whole body of one GET, in ms. */
export async function timeRead(
  url: string,
  token: string,
  marker: string,
): Promise<{ first: number; total: number }> {
  const begin = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let first = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!first && decoder.decode(value, { stream: true }).includes(marker)) first = performance.now() - begin;
  }
  return { first, total: performance.now() - begin };
}

/** The text deltas of one streamed completion through the raw pipe (the baseline), stamped on arrival. */
export async function readRawPipe(pipeUrl: string) {
  return readSsePieces(
    await fetch(pipeUrl, { method: "POST", body: JSON.stringify({ stream: true }) }),
    (_event, data) => (data === "[DONE]" ? null : (JSON.parse(data).choices?.[0]?.delta?.content ?? null)),
  );
}
