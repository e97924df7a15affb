import type { ServerResponse } from "node:http";
import { type GenerationEnd, type GenerationPlan, runGeneration } from "./generation.ts";
import { type SimFrame, SseWriter } from "./sse-writer.ts";

/** One protocol's way of saying what a run does; each call returns the frames to send. */
export interface StreamEncoder {
  start(): SimFrame[];
  text(delta: string, tokens: number): SimFrame[];
  stage(index: number, toolName: string): SimFrame[];
  /** The terminal events of a run that reached its end (`truncated`: cut by the client's max tokens). */
  finish(truncated: boolean): SimFrame[];
  /** The protocol's mid-stream provider error. */
  failed(message: string): SimFrame[];
  /** A raw, deliberately broken frame. */
  malformed(): string;
}

/** Live counts, so tests can see that a run really stopped (or really goes on). */
export interface SimActivity {
  connectionBoundRuns: number;
}

export function failureMessage(plan: GenerationPlan): string {
  if (plan.fault?.upstreamTimeout) return "upstream provider timeout";
  return `The simulated agent failed after ${plan.fault?.afterToken ?? 0} tokens (#sim fault=failed).`;
}

/**
 * Streams a connection-bound run (OpenClaw, OpenAI without background, chat completions,
 * Anthropic) to one client. When the client disconnects the run is aborted — what the OpenClaw
 * gateway does, and the only sane thing for a run nobody can re-attach to.
 */
export async function streamToClient(
  response: ServerResponse,
  encoder: StreamEncoder,
  plan: GenerationPlan,
  options: { splitUtf8: boolean; activity: SimActivity; headers?: Record<string, string> },
): Promise<GenerationEnd> {
  const writer = new SseWriter(response, { splitUtf8: options.splitUtf8 });
  const abort = new AbortController();
  response.once("close", () => abort.abort());
  writer.open(options.headers);
  await writer.write(encoder.start());
  options.activity.connectionBoundRuns++;
  let end: Awaited<ReturnType<typeof runGeneration>>;
  try {
    end = await runGeneration(
      plan,
      {
        text: (delta, tokens) => writer.write(encoder.text(delta, tokens)),
        stage: (index, toolName) => writer.write(encoder.stage(index, toolName)),
      },
      abort.signal,
    );
  } finally {
    options.activity.connectionBoundRuns--;
  }
  switch (end) {
    case "aborted":
      break;
    case "drop":
      writer.drop();
      break;
    case "malformed":
      await writer.writeRaw(encoder.malformed());
      writer.end();
      break;
    case "failed":
      await writer.write(encoder.failed(failureMessage(plan)));
      writer.end();
      break;
    case "finished":
      await writer.write(encoder.finish(plan.truncated));
      writer.end();
      break;
  }
  return end;
}

/**
 * Runs a whole plan at once for a non-streamed request (no pace, no stall: the answer is only
 * needed whole) and leaves the result in the encoder's state.
 */
export function playWhole(
  encoder: StreamEncoder,
  plan: GenerationPlan,
  signal: AbortSignal,
): Promise<GenerationEnd> {
  const { stall: _stall, ...rest } = plan;
  return runGeneration(
    { ...rest, rate: 0 },
    {
      text: (delta, tokens) => {
        encoder.text(delta, tokens);
      },
      stage: (index, toolName) => {
        encoder.stage(index, toolName);
      },
    },
    signal,
  );
}
