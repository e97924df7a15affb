import type { ServerResponse } from "node:http";
import type { SendError } from "./accept-request.ts";
import { type GenerationEnd, type GenerationPlan, runGeneration } from "./generation.ts";
import { providerId, sendJson } from "./http-io.ts";
import type { SimSettings } from "./sim-directives.ts";
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

/**
 * Answers a non-streamed request: plays the plan whole (stopped if the client leaves), then sends the
 * protocol's `whole` body of the finished encoder, its error for a failed run, or drops the socket.
 */
export async function respondWhole<E extends StreamEncoder>(
  response: ServerResponse,
  encoder: E,
  plan: GenerationPlan,
  sendError: SendError,
  whole: (encoder: E) => unknown,
): Promise<void> {
  const abort = new AbortController();
  response.once("close", () => abort.abort());
  const end = await playWhole(encoder, plan, abort.signal);
  if (end === "drop") return void response.socket?.resetAndDestroy();
  if (end === "failed") return sendError(response, "server_error", failureMessage(plan));
  if (end === "aborted") return;
  encoder.finish(plan.truncated);
  sendJson(response, 200, whole(encoder));
}

/** What a connection-bound protocol's answers differ in. */
export interface AnswerProtocol<E extends StreamEncoder> {
  sendError: SendError;
  /** The response header naming the provider's request id (`req_…`). */
  requestIdHeader: string;
  /** The body of a non-streamed answer, from the finished encoder. */
  whole(encoder: E): unknown;
}

/** Answers a connection-bound request the protocol's way: the plan streamed, or whole when not `stream`. */
export async function answerPlan<E extends StreamEncoder>(
  response: ServerResponse,
  encoder: E,
  plan: GenerationPlan,
  request: { stream: boolean; settings: SimSettings; activity: SimActivity },
  protocol: AnswerProtocol<E>,
): Promise<void> {
  if (!request.stream) return respondWhole(response, encoder, plan, protocol.sendError, protocol.whole);
  await streamToClient(response, encoder, plan, {
    splitUtf8: request.settings.fault?.kind === "splitutf8",
    activity: request.activity,
    headers: { [protocol.requestIdHeader]: providerId("req") },
  });
}
