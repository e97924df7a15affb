import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sql } from "postgres";
import { z } from "zod";
import { applySupabaseCors } from "../auth/cors.ts";
import { canWrite, type TokenVerifier } from "./authorize.ts";
import type { ProjectMessageRate } from "./project-quota.ts";
import { Topics } from "./topics.ts";

export interface BroadcastRoutesOptions {
  sql: Sql;
  topics: Topics;
  verifyToken: TokenVerifier;
  limits: { maxPayloadBytes: number };
  /** The project's message quota (shared with the sockets): over it every send answers 429. */
  rate: ProjectMessageRate;
  isRunning: () => boolean;
}

const BATCH_PATH = "/realtime/v1/api/broadcast";
const SINGLE_PATH = /^\/realtime\/v1\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/;
const MAX_BODY_BYTES = 5_000_000;
const MAX_BATCH = 100;
const PAYLOAD_TOO_LARGE = "Payload size exceeds tenant limit";

const batchBody = z.object({
  messages: z.array(
    z.object({
      topic: z.string().min(1),
      event: z.string().min(1),
      payload: z.record(z.string(), z.unknown()),
      private: z.boolean().optional(),
      id: z.string().optional(),
    }),
  ),
});

/**
 * Realtime's REST broadcast (`BroadcastController`, `BroadcastSingleController`): 202 with an empty
 * body; 401 `{"message":"Unauthorized"}` for a bad token; 403 when RLS denies a private single
 * message (the batch endpoint drops it silently); 422 changeset errors (payload over the tenant
 * limit); 429 over the project's message quota or an oversized batch.
 */
export function createBroadcastRoutes(options: BroadcastRoutesOptions) {
  const { rate } = options;

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const single = SINGLE_PATH.exec(url.pathname);
    if (url.pathname !== BATCH_PATH && !single) return false;
    if (applySupabaseCors(req, res)) return true;
    if (!options.isRunning()) {
      // Taken down by the test harness: the connection drops, as when the service is gone.
      req.socket.destroy();
      return true;
    }
    if (req.method !== "POST") return send(res, 405, { message: "Method not allowed" });
    const verified = await options.verifyToken(tokenOf(req, url));
    if ("refused" in verified) return send(res, 401, { message: "Unauthorized" });
    const body = await readBody(req);
    if (body === undefined) return send(res, 413, { message: "Request entity too large" });

    if (single) {
      const topic = decodeURIComponent(single[1]!);
      const event = decodeURIComponent(single[2]!);
      const isPrivate = url.searchParams.get("private") === "true";
      const binary = (req.headers["content-type"] ?? "").startsWith("application/octet-stream");
      let payload: Buffer = body;
      if (!binary) {
        try {
          payload = Buffer.from(JSON.stringify(JSON.parse(body.toString("utf8"))), "utf8");
        } catch {
          return send(res, 422, { errors: { payload: ["is invalid"] } });
        }
      }
      if (Buffer.byteLength(`realtime:${topic}`) > 255 || Buffer.byteLength(event) > 255) {
        return send(res, 422, { errors: { topic: ["is too long"] } });
      }
      if (payload.length > options.limits.maxPayloadBytes) {
        return send(res, 422, { errors: { payload: [PAYLOAD_TOO_LARGE] } });
      }
      if (!rate.take(1)) return send(res, 429, { message: "You have exceeded your rate limit" });
      if (isPrivate && !(await canWrite(options.sql, topic, verified.claims))) {
        return send(res, 403, { message: "Unauthorized" });
      }
      options.topics.publish(Topics.key(topic, isPrivate), {
        kind: "user",
        broadcast: { topic: `realtime:${topic}`, event, encoding: binary ? "binary" : "json", payload },
      });
      return send(res, 202);
    }

    let parsed: z.infer<typeof batchBody>;
    try {
      const result = batchBody.safeParse(JSON.parse(body.toString("utf8")));
      if (!result.success) return send(res, 422, { errors: { messages: ["is invalid"] } });
      parsed = result.data;
    } catch {
      return send(res, 422, { errors: { messages: ["is invalid"] } });
    }
    if (parsed.messages.length > MAX_BATCH) {
      return send(res, 429, { message: "Too many messages to broadcast, please reduce the batch size" });
    }
    for (const message of parsed.messages) {
      if (Buffer.byteLength(JSON.stringify(message.payload)) > options.limits.maxPayloadBytes) {
        return send(res, 422, { errors: { messages: [PAYLOAD_TOO_LARGE] } });
      }
    }
    if (!rate.take(parsed.messages.length))
      return send(res, 429, { message: "You have exceeded your rate limit" });
    for (const message of parsed.messages) {
      const isPrivate = message.private === true;
      // RLS denying a private batch message drops it silently (still 202), as Realtime does.
      if (isPrivate && !(await canWrite(options.sql, message.topic, verified.claims))) continue;
      options.topics.publish(Topics.key(message.topic, isPrivate), {
        kind: "json",
        topic: `realtime:${message.topic}`,
        event: message.event,
        payload: message.payload,
        id: message.id,
      });
    }
    return send(res, 202);
  };
}

/** AuthTenant: `Authorization: Bearer` first, else the `apikey` header or query parameter. */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization?.toLowerCase().startsWith("bearer ")) return authorization.slice(7).trim();
  const header = req.headers.apikey;
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("apikey") ?? undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body?: unknown): true {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
  } else {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  }
  return true;
}
