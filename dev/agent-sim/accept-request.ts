import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { BodyError, contentText, readJsonBody } from "./http-io.ts";
import type { ErrorKind } from "./protocol-errors.ts";
import { describeSchemaError } from "./responses-request.ts";
import { parseSimSettings, SimDirectiveError, type SimSettings } from "./sim-directives.ts";

export type SendError = (response: ServerResponse, kind: ErrorKind, message?: string) => void;

/**
 * The checks every front door shares, answered in that protocol's error shape: credentials, a
 * JSON body the protocol's schema accepts, a valid `#sim` line, and the pre-stream faults
 * (`http500`, `http429`). Resolves undefined when the request was already answered.
 */
export async function acceptSimRequest<Parsed>(
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    authorized: boolean;
    sendError: SendError;
    /** The request, or a sentence saying what is wrong with it. */
    parse: (body: unknown) => Parsed | string;
    lastUserText: (parsed: Parsed) => string;
  },
): Promise<{ parsed: Parsed; settings: SimSettings } | undefined> {
  const { sendError } = options;
  if (!options.authorized) return void sendError(response, "unauthorized");
  let parsed: Parsed | string;
  let settings: SimSettings;
  try {
    parsed = options.parse(await readJsonBody(request));
    if (typeof parsed === "string") return void sendError(response, "invalid_request", parsed);
    settings = parseSimSettings(options.lastUserText(parsed));
  } catch (error) {
    if (error instanceof BodyError || error instanceof SimDirectiveError) {
      return void sendError(response, "invalid_request", error.message);
    }
    throw error;
  }
  if (settings.fault?.kind === "http500") return void sendError(response, "server_error");
  if (settings.fault?.kind === "http429") return void sendError(response, "rate_limited");
  return { parsed, settings };
}

/** A messages API's body: the conversation as `{role, content}` messages. */
type MessagesBody = { messages: { role: string; content?: unknown }[] };

/**
 * `acceptSimRequest` for a messages API (Anthropic, chat completions): the body is checked by the
 * protocol's `schema`, and the `#sim` line is read from the last `user` message.
 */
export function acceptMessagesRequest<Body extends MessagesBody>(
  request: IncomingMessage,
  response: ServerResponse,
  options: { authorized: boolean; sendError: SendError; schema: z.ZodType<Body> },
): Promise<{ parsed: Body; settings: SimSettings } | undefined> {
  return acceptSimRequest(request, response, {
    authorized: options.authorized,
    sendError: options.sendError,
    parse: (raw) => {
      const result = options.schema.safeParse(raw);
      return result.success ? result.data : describeSchemaError(result.error);
    },
    lastUserText: (parsed) =>
      contentText(parsed.messages.findLast((message) => message.role === "user")?.content),
  });
}
