import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** The one credential the simulator accepts, on every protocol. */
export { LOCAL_AGENT_TOKEN as SIMULATOR_TOKEN } from "../../lib/agent/local-agents.ts";

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class BodyError extends Error {}

/** Reads a JSON request body; a body that is too large or not JSON is a BodyError. */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError("Request body is larger than 8 MiB.");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) throw new BodyError("Request body is empty; expected JSON.");
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError("Request body is not valid JSON.");
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
    ...headers,
  });
  response.end(payload);
}

export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1]?.trim();
}

/** Provider-style identifiers (`resp_…`, `msg_…`). */
export function providerId(prefix: string, separator = "_"): string {
  return `${prefix}${separator}${randomBytes(12).toString("hex")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The text of a message content that is a string or a list of typed text parts. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) =>
      typeof part === "object" && part && "text" in part && typeof part.text === "string" ? part.text : "",
    )
    .join("");
}
