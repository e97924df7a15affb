import type { TransactionSql } from "postgres";
import type { Sql } from "../db/client.ts";
import { getDsProducer, writeDsStream } from "../db/ds-appends.ts";
import { type DsStreamRow, insertDsStream, lockDsStream, type ProducerTuple } from "../db/ds-streams.ts";
import { AppError } from "../errors.ts";
import { isClosingTuple, judgeProducerWrite } from "./producer-epochs.ts";
import { DS, formatOffset, isJsonType, mediaType } from "./protocol.ts";
import { isTrue, parseCreateHeaders, parseProducer, sameMediaType } from "./request-headers.ts";

/** Largest body one PUT or POST may carry (Vercel refuses bodies over 4.5 MB anyway). */
export const MAX_APPEND_BYTES = 4 * 1024 * 1024;

/** The request body, at most MAX_APPEND_BYTES (413 beyond). */
export async function readAppendBody(request: Request): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new AppError("payload_too_large:body", `A write carries at most ${MAX_APPEND_BYTES} bytes.`);
  if (declared > MAX_APPEND_BYTES) throw tooLarge();
  const body = Buffer.from(await request.arrayBuffer());
  if (body.length > MAX_APPEND_BYTES) throw tooLarge();
  return body;
}

/**
 * JSON mode's stored form: each value serialised on its own, joined by commas with a trailing comma,
 * so appends concatenate and a read wraps them in one array. An array body is a batch of values;
 * an empty one is refused on POST and creates an empty stream on PUT.
 */
export function jsonAppendData(body: Buffer, creating: boolean): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new AppError("bad_request:json", "The body is not valid JSON.");
  }
  const values = Array.isArray(parsed) ? parsed : [parsed];
  if (values.length === 0) {
    if (creating) return Buffer.alloc(0);
    throw new AppError("bad_request:json", "An empty array appends nothing.");
  }
  return Buffer.from(`${values.map((value) => JSON.stringify(value)).join(",")},`, "utf8");
}

/** PUT: creates the stream (201 with Location), or 200 when it exists with the same configuration. */
export async function createOtherStream(sql: Sql, path: string, request: Request): Promise<Response> {
  const config = parseCreateHeaders(request.headers);
  const body = await readAppendBody(request);
  const data = isJsonType(config.contentType) && body.length > 0 ? jsonAppendData(body, true) : body;
  const { row, created } = await sql.begin(async (tx) => {
    const existing = await lockDsStream(tx, path);
    if (existing) return { row: existing, created: false };
    const inserted = await insertDsStream(tx, {
      path,
      contentType: config.contentType,
      ttlSeconds: config.ttlSeconds,
      expiresAtText: config.expiresAt?.text ?? null,
      expiresAt: config.expiresAt?.at ?? null,
      closed: config.closed,
      initialData: data,
    });
    if (!inserted) throw new AppError("conflict:stream", "The stream was created concurrently; retry.");
    return { row: inserted, created: true };
  });
  const sameConfig =
    sameMediaType(row.contentType, config.contentType) &&
    row.ttlSeconds === config.ttlSeconds &&
    row.expiresAtText === (config.expiresAt?.text ?? null) &&
    row.closed === config.closed;
  if (!created && !sameConfig) {
    throw new AppError("conflict:stream", "The stream exists with a different configuration.");
  }
  const headers = new Headers({
    "content-type": row.contentType,
    [DS.nextOffset]: formatOffset(row.nextOffset),
  });
  if (row.closed) headers.set(DS.closed, "true");
  if (created) headers.set("location", request.url);
  return new Response(null, { status: created ? 201 : 200, headers });
}

interface AppendRequest {
  producer: ProducerTuple | null;
  seq: string | null;
  close: boolean;
  contentType: string | null;
  body: Buffer;
}

/**
 * POST: appends (with `Stream-Closed: true`, appends and closes in one step; with an empty body, only
 * closes). Idempotent producers are judged under the stream's row lock, so a retry is stored once.
 */
export async function appendOtherStream(sql: Sql, path: string, request: Request): Promise<Response> {
  const producer = parseProducer(request.headers);
  const append: AppendRequest = {
    producer,
    seq: request.headers.get(DS.seq),
    close: isTrue(request.headers.get(DS.closed)),
    contentType: request.headers.get("content-type"),
    body: await readAppendBody(request),
  };
  if (append.body.length === 0 && !append.close) {
    throw new AppError("bad_request:body", "An append needs a body (or Stream-Closed: true to close).");
  }
  if (append.body.length > 0 && !append.contentType) {
    throw new AppError("bad_request:content_type", "An append needs a Content-Type.");
  }
  return sql.begin(async (tx) => {
    const stream = await lockDsStream(tx, path);
    if (!stream) throw new AppError("not_found:stream", "Stream not found.");
    const refusal = await refuseAppend(tx, stream, append);
    if (refusal) return refusal;
    const data =
      append.body.length > 0 && isJsonType(stream.contentType)
        ? jsonAppendData(append.body, false)
        : append.body;
    const end = await writeDsStream(tx, {
      streamId: stream.id,
      startOffset: stream.nextOffset,
      data,
      seq: append.seq,
      close: append.close,
      producer,
    });
    const headers = new Headers({ [DS.nextOffset]: formatOffset(end) });
    if (append.close) headers.set(DS.closed, "true");
    if (producer) {
      headers.set(DS.producerEpoch, String(producer.epoch));
      headers.set(DS.producerSeq, String(producer.seq));
    }
    // A producer's accepted write is 200 (its 204 means "duplicate"); a plain append is 204.
    return new Response(null, { status: producer && data.length > 0 ? 200 : 204, headers });
  });
}

/** The answer to an append that must not be stored (closed, mismatched, a duplicate, fenced), or null. */
async function refuseAppend(
  tx: TransactionSql,
  stream: DsStreamRow,
  append: AppendRequest,
): Promise<Response | null> {
  const { producer } = append;
  const offset = formatOffset(stream.nextOffset);
  if (stream.closed) {
    if (isClosingTuple(stream.closedBy, producer) && producer) {
      return producerReply(204, offset, producer.epoch, producer.seq, true);
    }
    if (append.body.length === 0 && !producer) {
      return new Response(null, { status: 204, headers: { [DS.nextOffset]: offset, [DS.closed]: "true" } });
    }
    throw new AppError("conflict:stream_closed", "The stream is closed.", {
      headers: { [DS.closed]: "true", [DS.nextOffset]: offset },
    });
  }
  if (append.body.length > 0 && !sameMediaType(append.contentType ?? "", stream.contentType)) {
    throw new AppError(
      "conflict:content_type",
      `The stream holds ${mediaType(stream.contentType)}; this append is ${mediaType(append.contentType ?? "")}.`,
    );
  }
  if (producer) {
    const verdict = judgeProducerWrite(await getDsProducer(tx, stream.id, producer.id), producer);
    if (verdict.kind === "duplicate")
      return producerReply(204, offset, producer.epoch, verdict.lastSeq, false);
    if (verdict.kind === "stale_epoch") {
      throw new AppError("forbidden:producer_epoch", "A newer producer epoch fenced this one out.", {
        headers: { [DS.producerEpoch]: String(verdict.currentEpoch) },
      });
    }
    if (verdict.kind === "epoch_without_zero") {
      throw new AppError("bad_request:producer_seq", "A new producer epoch starts at Producer-Seq 0.");
    }
    if (verdict.kind === "sequence_gap") {
      throw new AppError("conflict:producer_seq", "A producer write is missing before this one.", {
        headers: {
          [DS.producerExpectedSeq]: String(verdict.expectedSeq),
          [DS.producerReceivedSeq]: String(verdict.receivedSeq),
        },
      });
    }
  }
  if (append.seq !== null && stream.lastSeq !== null && append.seq <= stream.lastSeq) {
    throw new AppError("conflict:stream_seq", "Stream-Seq must increase (compared as strings).");
  }
  return null;
}

function producerReply(
  status: number,
  offset: string,
  epoch: number,
  seq: number,
  closed: boolean,
): Response {
  const headers = new Headers({
    [DS.nextOffset]: offset,
    [DS.producerEpoch]: String(epoch),
    [DS.producerSeq]: String(seq),
  });
  if (closed) headers.set(DS.closed, "true");
  return new Response(null, { status, headers });
}
