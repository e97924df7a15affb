import type postgres from "postgres";
import { z } from "zod";
import { SESSION_STATUSES } from "../lifecycle.ts";
import { logError } from "../log.ts";

/**
 * The NOTIFY payloads, one typed codec per channel: every `pg_notify` in the repo sends the text of
 * `encodeNotify` (tests/db/notify-payloads.test.ts checks the sources), and every listener that reads
 * a payload decodes it with `decodeNotify`; one that does not decode is logged (never dropped silently).
 */
export const notifyPayloads = {
  /** SESSION_LOG_CHANNEL: a session's durable offset moved, or its status changed. */
  session_log: z.object({
    s: z.string(),
    o: z.number().int().nonnegative(),
    st: z.enum(SESSION_STATUSES).optional(),
  }),
  /** CONTROL_CHANNEL: whichever process runs session `s` must act (`cancel`). */
  session_control: z.object({ s: z.string(), a: z.literal("cancel") }),
  /** DISPATCH_CHANNEL: session `s` waits for a background runner at epoch `e`. */
  session_dispatch: z.object({ s: z.string(), e: z.number().int() }),
  /** DS_STREAM_CHANNEL: other stream `id` was appended to, closed or deleted. */
  ds_stream: z.object({ id: z.number().int().nonnegative() }),
  /** NOTIFICATIONS_CHANNEL: notification `n` is pending; a local sender sends what is due. */
  overtime_notifications: z.object({ n: z.string() }),
};

export type NotifyChannel = keyof typeof notifyPayloads;
export type NotifyPayload<C extends NotifyChannel> = z.infer<(typeof notifyPayloads)[C]>;

/** The payload as JSON text for `pg_notify` (checked against the channel's schema). */
export function encodeNotify<C extends NotifyChannel>(channel: C, payload: NotifyPayload<C>): string {
  return JSON.stringify(notifyPayloads[channel].parse(payload));
}

/**
 * Sends one NOTIFY (inside `tx`, it is delivered when the transaction commits). Every payload on
 * every channel goes through `encodeNotify`: the SQL never builds one itself.
 */
export async function sendNotify<C extends NotifyChannel>(
  sql: postgres.Sql | postgres.TransactionSql,
  channel: C,
  payload: NotifyPayload<C>,
): Promise<void> {
  await sql`select pg_notify(${channel}, ${encodeNotify(channel, payload)})`;
}

/** The decoded payload, or null after logging why it could not be decoded. */
export function decodeNotify<C extends NotifyChannel>(channel: C, raw: string): NotifyPayload<C> | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    logError("unparsable NOTIFY payload", { channel, payload: raw.slice(0, 200), error });
    return null;
  }
  const parsed = notifyPayloads[channel].safeParse(json);
  if (parsed.success) return parsed.data as NotifyPayload<C>;
  logError("NOTIFY payload of the wrong shape", {
    channel,
    payload: raw.slice(0, 200),
    issues: parsed.error.issues,
  });
  return null;
}
