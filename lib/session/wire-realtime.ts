/**
 * Realtime messages (DESIGN §4), part of the wire contract (`wire.ts`): private channel
 * `session:<id>` carries `log`, `progress` and `status`; `user:<id>` carries `session`.
 */
import { z } from "zod";
import {
  byteOffsetSchema,
  describeIssues,
  encodeProgress,
  progressSchema,
  type SessionProgress,
  sessionStateSchema,
  sessionStatusSchema,
  WireError,
} from "./wire-base.ts";

export const realtimePayloadSchemas = {
  /** After each durable append. No `text` (too large to broadcast): a gap to fill by a catch-up read. */
  log: z
    .object({
      from: byteOffsetSchema,
      to: byteOffsetSchema,
      text: z.string().optional(),
      /** The writer's epoch, as in a delta's cursor `<generation>:<offset>`. */
      generation: z.number().int().min(1).optional(),
    })
    .refine((log) => log.to >= log.from, { message: "to must not be below from" }),
  progress: progressSchema,
  status: sessionStateSchema,
  session: z.object({
    id: z.string().min(1),
    status: sessionStatusSchema,
    title: z.string(),
    agent: z.string(),
    updatedAt: z.string(),
    /** A running session's progress, at most every 15 s while the list is watched (issue 19). */
    progress: progressSchema.optional(),
  }),
} as const;

export type RealtimeEventName = keyof typeof realtimePayloadSchemas;
type RealtimePayload<Name extends RealtimeEventName> = z.infer<(typeof realtimePayloadSchemas)[Name]>;

/** A decoded Realtime message. A `log` names its writer's `epoch` (the wire's `generation`). */
export type RealtimeMessage =
  | { type: "log"; from: number; to: number; text?: string; epoch?: number }
  | ({ type: "progress" } & RealtimePayload<"progress">)
  | ({ type: "status" } & RealtimePayload<"status">)
  | ({ type: "session" } & RealtimePayload<"session">);

/** Decodes one Realtime broadcast (`event`, `payload`); null for an unknown event name. */
export function decodeRealtimeMessage(event: string, payload: unknown): RealtimeMessage | null {
  switch (event) {
    case "log": {
      const { generation, ...log } = decodePayload("log", payload);
      return { type: "log", ...log, ...(generation === undefined ? {} : { epoch: generation }) };
    }
    case "progress":
      return { type: "progress", ...decodePayload("progress", payload) };
    case "status":
      return { type: "status", ...decodePayload("status", payload) };
    case "session":
      return { type: "session", ...decodePayload("session", payload) };
    default:
      return null;
  }
}

function decodePayload<Name extends RealtimeEventName>(name: Name, payload: unknown): RealtimePayload<Name> {
  const parsed = realtimePayloadSchemas[name].safeParse(payload);
  if (!parsed.success)
    throw new WireError(
      `The Realtime channel sent an unreadable ${name} message: ${describeIssues(parsed.error)}`,
    );
  return parsed.data as RealtimePayload<Name>;
}

/** Validates a Realtime payload before it is broadcast; progress (alone or listed) goes out in its one shape. */
export function encodeRealtimeMessage<Name extends RealtimeEventName>(
  event: Name,
  payload: RealtimePayload<Name>,
): { event: Name; payload: RealtimePayload<Name> } {
  const listed = event === "session" ? (payload as RealtimePayload<"session">) : undefined;
  const body =
    event === "progress"
      ? encodeProgress(payload as SessionProgress)
      : listed?.progress
        ? { ...listed, progress: encodeProgress(listed.progress) }
        : payload;
  return { event, payload: realtimePayloadSchemas[event].parse(body) as RealtimePayload<Name> };
}
