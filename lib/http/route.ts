import { AppError, toAppError } from "../errors.ts";
import { logError } from "../log.ts";

/**
 * Wraps a route handler: an AppError becomes its status and JSON body; anything else is logged once
 * with the request's path and becomes a 500 that does not leak its message.
 */
export function route<Args extends unknown[]>(
  handler: (request: Request, ...args: Args) => Promise<Response>,
): (request: Request, ...args: Args) => Promise<Response> {
  return async (request, ...args) => {
    try {
      return await handler(request, ...args);
    } catch (error) {
      const appError = toAppError(error);
      if (!appError.visible) {
        logError("request failed", { path: new URL(request.url).pathname, code: appError.code, error });
      }
      return appError.toResponse();
    }
  };
}

/** Reads a JSON body of at most `maxBytes`, with 413 and 400 errors named for `scope`. */
export async function readJsonBody(request: Request, scope: string, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes)
    throw new AppError("payload_too_large:body", `The body is larger than ${maxBytes} bytes.`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) {
    throw new AppError("payload_too_large:body", `The body is larger than ${maxBytes} bytes.`);
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AppError(`bad_request:${scope}`, "The body is not valid JSON.");
  }
}
