import { z } from "zod";
import type { ProducerTuple } from "../db/ds-streams.ts";
import { AppError } from "../errors.ts";
import { parseWith } from "../http/validate.ts";
import { DS, mediaType } from "./protocol.ts";

/** A decimal integer without sign, leading zeros, fraction or exponent. */
const strictInteger = z
  .string()
  .regex(/^(0|[1-9]\d*)$/, "expected a non-negative integer")
  .transform(Number)
  .refine(Number.isSafeInteger, "too large");

/** Producer-Epoch / Producer-Seq: digits only (leading zeros allowed, as the reference server does). */
const producerNumber = z
  .string()
  .regex(/^\d+$/, "expected a non-negative integer")
  .transform(Number)
  .refine(Number.isSafeInteger, "too large");

const expiresAt = z
  .string()
  .refine((value) => !Number.isNaN(new Date(value).getTime()), "expected an ISO 8601 timestamp")
  .transform((value) => ({ text: value, at: new Date(value) }));

/** `live=`: absent (catch-up), `long-poll` or `sse`. */
export const liveSchema = z.enum(["long-poll", "sse"]).nullable();

export interface CreateHeaders {
  contentType: string;
  ttlSeconds: number | null;
  expiresAt: { text: string; at: Date } | null;
  closed: boolean;
}

/** PUT's headers: a missing or unreadable Content-Type is `application/octet-stream`. */
export function parseCreateHeaders(headers: Headers): CreateHeaders {
  const rawType = headers.get("content-type")?.trim() ?? "";
  const contentType = /^[\w.+-]+\/[\w.+-]+/.test(rawType) ? rawType : "application/octet-stream";
  const ttl = headers.get(DS.ttl);
  const expires = headers.get(DS.expiresAt);
  if (ttl !== null && expires !== null) {
    throw new AppError("bad_request:stream_ttl", "Give Stream-TTL or Stream-Expires-At, not both.");
  }
  return {
    contentType,
    ttlSeconds: ttl === null ? null : parseWith(strictInteger, ttl, "bad_request:stream_ttl"),
    expiresAt: expires === null ? null : parseWith(expiresAt, expires, "bad_request:stream_expires_at"),
    closed: isTrue(headers.get(DS.closed)),
  };
}

/** Producer-Id / -Epoch / -Seq: all three or none; the id not empty. */
export function parseProducer(headers: Headers): ProducerTuple | null {
  const id = headers.get(DS.producerId);
  const epoch = headers.get(DS.producerEpoch);
  const seq = headers.get(DS.producerSeq);
  if (id === null && epoch === null && seq === null) return null;
  if (id === null || epoch === null || seq === null) {
    throw new AppError("bad_request:producer", "Producer-Id, Producer-Epoch and Producer-Seq go together.");
  }
  if (id === "") throw new AppError("bad_request:producer", "Producer-Id must not be empty.");
  return {
    id,
    epoch: parseWith(producerNumber, epoch, "bad_request:producer_epoch"),
    seq: parseWith(producerNumber, seq, "bad_request:producer_seq"),
  };
}

/** `Stream-Closed: true`. */
export function isTrue(value: string | null): boolean {
  return value?.trim().toLowerCase() === "true";
}

/** Whether two content types name the same media type (case and parameters aside). */
export function sameMediaType(a: string, b: string): boolean {
  return mediaType(a) === mediaType(b);
}
