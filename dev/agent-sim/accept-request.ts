import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyError, readJsonBody } from "./http-io.ts";
import type { ErrorKind } from "./protocol-errors.ts";
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
