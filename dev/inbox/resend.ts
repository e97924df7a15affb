import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { canonicalJson, readBody, sendJson } from "./http.ts";
import type { InboxStore } from "./store.ts";

const PREFIX = "/resend";
/** Resend remembers idempotency keys for 24 hours. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const address = z.string().regex(/^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+)$/, {
  message:
    "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
});
const addresses = z.union([address, z.array(address).min(1).max(50)]);
const tagPart = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, {
  message: "Tags should only contain ASCII letters, numbers, underscores, or dashes.",
});

/** The `POST /emails` body as Resend validates it (snake_case, as the SDK sends it). */
const sendEmailBody = z
  .object({
    from: address,
    to: addresses,
    subject: z.string(),
    html: z.string().optional(),
    text: z.string().optional(),
    cc: addresses.optional(),
    bcc: addresses.optional(),
    reply_to: addresses.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    tags: z.array(z.object({ name: tagPart, value: tagPart })).optional(),
    scheduled_at: z.string().optional(),
    attachments: z.array(z.record(z.string(), z.unknown())).optional(),
    topic_id: z.string().optional(),
  })
  .passthrough();

interface Remembered {
  body: string;
  response: { id: string };
  at: number;
}

function resendError(res: ServerResponse, status: number, name: string, message: string, headers = {}) {
  sendJson(res, status, { statusCode: status, message, name }, headers);
}

/**
 * A Resend stand-in for `POST /emails`: API key, request schema, `Idempotency-Key` (same key and
 * body → the first answer again, no second email; same key, different body → 409), and injected
 * 429/5xx. Accepted emails land in the inbox.
 */
export function createResendHandler(options: { store: InboxStore; apiKey: string }) {
  const { store, apiKey } = options;
  const idempotency = new Map<string, Remembered>();

  async function sendEmail(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!auth) {
      return resendError(
        res,
        401,
        "missing_api_key",
        "Missing API key in the authorization header. Include the following header `Authorization: Bearer YOUR_API_KEY` in the request.",
      );
    }
    if (auth !== apiKey) return resendError(res, 403, "invalid_api_key", "API key is invalid");

    const key = req.headers["idempotency-key"];
    const idempotencyKey = Array.isArray(key) ? key[0] : key;
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 256)) {
      return resendError(res, 400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
    }

    const fault = store.takeFault("resend");
    if (fault?.status === 429) {
      const retryAfter = String(fault.retryAfter ?? 1);
      return resendError(
        res,
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second.",
        {
          "retry-after": retryAfter,
          "ratelimit-limit": "2",
          "ratelimit-remaining": "0",
          "ratelimit-reset": retryAfter,
        },
      );
    }
    if (fault?.status !== undefined) {
      return resendError(res, fault.status, "internal_server_error", "An unexpected error occurred.");
    }

    let json: unknown;
    try {
      json = JSON.parse(await readBody(req));
    } catch {
      return resendError(res, 422, "validation_error", "Invalid JSON body.");
    }
    for (const field of ["from", "to", "subject"]) {
      if (!json || typeof json !== "object" || (json as Record<string, unknown>)[field] === undefined) {
        return resendError(res, 422, "missing_required_field", `Missing \`${field}\` field.`);
      }
    }
    const parsed = sendEmailBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return resendError(res, 422, "validation_error", issue?.message ?? "Invalid request.");
    }
    const body = parsed.data;
    if (body.html === undefined && body.text === undefined) {
      return resendError(res, 422, "missing_required_field", "Missing `html` or `text` field.");
    }

    const canonical = canonicalJson(body);
    if (idempotencyKey !== undefined) {
      const seen = idempotency.get(idempotencyKey);
      if (seen && Date.now() - seen.at < IDEMPOTENCY_TTL_MS) {
        if (seen.body !== canonical) {
          return resendError(
            res,
            409,
            "invalid_idempotent_request",
            "Same idempotency key used with a different request payload. Change your idempotency key or payload.",
          );
        }
        return sendJson(res, 200, seen.response);
      }
    }

    const response = { id: randomUUID() };
    const to = [body.to].flat();
    store.add({
      channel: "email",
      to: to.join(", "),
      subject: body.subject,
      text: body.text ?? "",
      html: body.html ?? null,
      replyMarkup: null,
      details: {
        id: response.id,
        from: body.from,
        cc: body.cc,
        bcc: body.bcc,
        replyTo: body.reply_to,
        headers: body.headers,
        tags: body.tags,
        idempotencyKey,
      },
    });
    if (idempotencyKey !== undefined) {
      idempotency.set(idempotencyKey, { body: canonical, response, at: Date.now() });
    }
    // Accepted and remembered, but the answer never arrives: the caller cannot know it was sent.
    if (fault?.acceptThenHang) return;
    sendJson(res, 200, response);
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://inbox");
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) return false;
    const path = url.pathname.slice(PREFIX.length).replace(/\/+$/, "");
    if (req.method === "POST" && path === "/emails") await sendEmail(req, res);
    else if (path === "/emails") resendError(res, 405, "method_not_allowed", "Method not allowed");
    else resendError(res, 404, "not_found", "The requested endpoint does not exist.");
    return true;
  };
}
