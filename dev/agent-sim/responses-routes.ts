import type { IncomingMessage, ServerResponse } from "node:http";
import { acceptSimRequest, type SendError } from "./accept-request.ts";
import { BackgroundRun, type BackgroundRuns } from "./background-runs.ts";
import { planGeneration, runGeneration } from "./generation.ts";
import { bearerToken, providerId, SIMULATOR_TOKEN, sendJson } from "./http-io.ts";
import type { OpenClawSessions } from "./openclaw-sessions.ts";
import { sendOpenAiError, sendOpenClawError } from "./protocol-errors.ts";
import { ResponsesEncoder } from "./responses-encoder.ts";
import {
  describeSchemaError,
  openAiResponsesRequestSchema,
  openClawRequestSchema,
  type ResponsesRequest,
  readResponsesRequest,
} from "./responses-request.ts";
import { countInputTokens, type SimSettings } from "./sim-directives.ts";
import { SseWriter } from "./sse-writer.ts";
import { failureMessage, respondWhole, type SimActivity, streamToClient } from "./stream-play.ts";

/** Auth, body and `#sim` checks shared by both Responses front doors; undefined = already answered. */
function acceptRequest(
  request: IncomingMessage,
  response: ServerResponse,
  sendError: SendError,
  parse: (body: unknown) => ResponsesRequest | string,
): Promise<{ parsed: ResponsesRequest; settings: SimSettings } | undefined> {
  return acceptSimRequest(request, response, {
    authorized: bearerToken(request) === SIMULATOR_TOKEN,
    sendError,
    parse,
    lastUserText: (parsed) => parsed.lastUserText,
  });
}

function newEncoder(parsed: ResponsesRequest, openClaw: boolean): ResponsesEncoder {
  return new ResponsesEncoder({
    model: parsed.model,
    inputTokens: countInputTokens(parsed.allTexts),
    instructions: parsed.instructions,
    sequenceNumbers: !openClaw,
    background: parsed.background,
    doneSentinel: openClaw,
    holdTrailingWhitespace: openClaw,
  });
}

/** Answers a non-streamed, non-background request with the whole response object. */
function respondWholeResponse(
  response: ServerResponse,
  encoder: ResponsesEncoder,
  settings: SimSettings,
  parsed: ResponsesRequest,
  sendError: SendError,
): Promise<void> {
  const plan = planGeneration(settings, parsed.maxOutputTokens);
  return respondWhole(response, encoder, plan, sendError, () => encoder.snapshot());
}

/** How the gateway reads `model`: an agent to run, never a provider model (`src/gateway/http-utils.ts`). */
const OPENCLAW_AGENT_TARGET = /^(openclaw|(openclaw\/|openclaw:|agent:)[a-z0-9][a-z0-9_-]{0,63})$/;

/**
 * `POST /openclaw/v1/responses`: the OpenClaw gateway, strict schema, abort on disconnect, and a
 * transcript per session key (`OpenClawSessions`): the model is given all of it.
 */
export async function handleOpenClawResponses(
  request: IncomingMessage,
  response: ServerResponse,
  activity: SimActivity,
  sessions: OpenClawSessions,
): Promise<void> {
  const sessionKey = request.headers["x-openclaw-session-key"];
  if (typeof sessionKey === "string" && /^(subagent|cron|acp):/.test(sessionKey)) {
    return sendOpenClawError(
      response,
      "invalid_request",
      "x-openclaw-session-key: reserved session key prefix",
    );
  }
  const accepted = await acceptRequest(request, response, sendOpenClawError, (body) => {
    const result = openClawRequestSchema.safeParse(body);
    return result.success ? readResponsesRequest(result.data) : describeSchemaError(result.error);
  });
  if (!accepted) return;
  const { parsed, settings } = accepted;
  if (!OPENCLAW_AGENT_TARGET.test(parsed.model)) {
    return sendOpenClawError(
      response,
      "invalid_request",
      `model: "${parsed.model}" is not an agent target (openclaw, openclaw/<agentId>, openclaw:<agentId> or agent:<agentId>)`,
    );
  }
  const key = typeof sessionKey === "string" ? sessionKey : undefined;
  sessions.begin(key, parsed.messages);
  const encoder = newEncoder(parsed, true);
  if (!parsed.stream) return respondWholeResponse(response, encoder, settings, parsed, sendOpenClawError);
  const plan = planGeneration(settings, parsed.maxOutputTokens);
  const end = await streamToClient(response, encoder, plan, {
    splitUtf8: settings.fault?.kind === "splitutf8",
    activity,
  });
  if (end === "finished") sessions.answered(key, plan.pieces.join(""));
}

/** `POST /openai/v1/responses`: plain streaming, or a background run that outlives the connection. */
export async function handleOpenAiResponsesCreate(
  request: IncomingMessage,
  response: ServerResponse,
  runs: BackgroundRuns,
  activity: SimActivity,
): Promise<void> {
  const accepted = await acceptRequest(request, response, sendOpenAiError, (body) => {
    const result = openAiResponsesRequestSchema.safeParse(body);
    if (!result.success) return describeSchemaError(result.error);
    const parsed = readResponsesRequest(result.data);
    if (parsed.background && !parsed.store) return "Background mode requires store=true.";
    return parsed;
  });
  if (!accepted) return;
  const { parsed, settings } = accepted;
  const encoder = newEncoder(parsed, false);
  const headers = { "x-request-id": providerId("req") };
  if (!parsed.background) {
    if (!parsed.stream) return respondWholeResponse(response, encoder, settings, parsed, sendOpenAiError);
    await streamToClient(response, encoder, planGeneration(settings, parsed.maxOutputTokens), {
      splitUtf8: settings.fault?.kind === "splitutf8",
      activity,
      headers,
    });
    return;
  }
  const run = new BackgroundRun(encoder, parsed.stream, settings.fault?.kind === "splitutf8");
  runs.add(run);
  const queued = encoder.snapshot();
  run.append(encoder.start());
  generateInBackground(run, settings, parsed, runs).catch((error: unknown) => {
    console.error("agent simulator: background run crashed", { responseId: run.encoder.id, error });
  });
  if (!parsed.stream) return sendJson(response, 200, queued, headers);
  const writer = new SseWriter(response, { splitUtf8: run.splitUtf8 });
  writer.open(headers);
  await run.follow(writer, -1, true, closeOf(response));
}

async function generateInBackground(
  run: BackgroundRun,
  settings: SimSettings,
  parsed: ResponsesRequest,
  runs: BackgroundRuns,
): Promise<void> {
  const plan = planGeneration(settings, parsed.maxOutputTokens);
  const { encoder } = run;
  const end = await runGeneration(
    plan,
    {
      text: (delta, tokens) => run.append(encoder.text(delta, tokens)),
      stage: (index, toolName) => run.append(encoder.stage(index, toolName)),
      // Wire faults hit only the creating connection; the run itself keeps generating.
      fault: (kind) => {
        if (kind === "failed") return "stop";
        run.connectionFault = { kind, afterSequence: run.events.length - 1 };
        return "continue";
      },
    },
    run.abort.signal,
  );
  if (end === "aborted") return; // cancelled: the cancel handler finished the run
  run.append(end === "failed" ? encoder.failed(failureMessage(plan)) : encoder.finish(plan.truncated));
  run.finish();
  runs.retire(run);
}

function closeOf(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => response.once("close", () => resolve()));
}

/** `GET /openai/v1/responses/{id}[?stream=true&starting_after=N]`. */
export async function handleOpenAiResponseRetrieve(
  request: IncomingMessage,
  response: ServerResponse,
  runs: BackgroundRuns,
  id: string,
  query: URLSearchParams,
): Promise<void> {
  if (bearerToken(request) !== SIMULATOR_TOKEN) return sendOpenAiError(response, "unauthorized");
  const run = runs.get(id);
  if (!run) return sendOpenAiError(response, "not_found", `Response with id '${id}' not found.`);
  if (query.get("stream") !== "true") return sendJson(response, 200, run.encoder.progressSnapshot());
  if (!run.streamed) {
    return sendOpenAiError(response, "invalid_request", "This response was not created with stream=true.");
  }
  const startingAfter = query.get("starting_after");
  if (startingAfter !== null && !/^\d+$/.test(startingAfter)) {
    return sendOpenAiError(response, "invalid_request", "starting_after must be a non-negative integer.");
  }
  const writer = new SseWriter(response, { splitUtf8: run.splitUtf8 });
  writer.open({ "x-request-id": providerId("req") });
  await run.follow(writer, startingAfter === null ? -1 : Number(startingAfter), false, closeOf(response));
}

/** `POST /openai/v1/responses/{id}/cancel`: idempotent; a finished run is returned as it is. */
export function handleOpenAiResponseCancel(
  request: IncomingMessage,
  response: ServerResponse,
  runs: BackgroundRuns,
  id: string,
): void {
  if (bearerToken(request) !== SIMULATOR_TOKEN) {
    sendOpenAiError(response, "unauthorized");
    return;
  }
  const run = runs.get(id);
  if (!run) {
    sendOpenAiError(response, "not_found", `Response with id '${id}' not found.`);
    return;
  }
  if (!run.finished) {
    run.abort.abort();
    run.encoder.cancel();
    run.finish();
    runs.retire(run);
  }
  sendJson(response, 200, run.encoder.progressSnapshot());
}
