import type { RunnerKind, SessionProgress, SessionStatus } from "./session-types.ts";

/**
 * One Realtime broadcast on `session:<id>` (DESIGN §4): `log` after each durable append (`text`
 * left out when it was too large: the reader fetches the range), `progress`, and `status`.
 */
export type SessionRealtimeMessage =
  | { type: "log"; from: number; to: number; text: string | null }
  | { type: "progress"; progress: SessionProgress & { costUsd?: number } }
  | { type: "status"; status: SessionStatus; runner: RunnerKind | null; offset: number; seams: number[] };

/** One `session` broadcast on `user:<id>`: a session of this user was created or changed status. */
export interface UserSessionMessage {
  id: string;
  status: SessionStatus;
  title: string;
  agent: string;
  updatedAt: string;
}

type Fields = Record<string, unknown>;

const offsetOf = (value: unknown): number | null =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;

/** Null for an unknown event or a malformed payload (a newer server, or noise): it is ignored. */
export function parseSessionRealtimeMessage(event: string, payload: unknown): SessionRealtimeMessage | null {
  if (typeof payload !== "object" || payload === null) return null;
  const fields = payload as Fields;
  switch (event) {
    case "log": {
      const from = offsetOf(fields.from);
      const to = offsetOf(fields.to);
      if (from === null || to === null || to < from) return null;
      return { type: "log", from, to, text: typeof fields.text === "string" ? fields.text : null };
    }
    case "progress":
      return {
        type: "progress",
        progress: {
          stage: typeof fields.stage === "string" ? fields.stage : null,
          outputTokens: offsetOf(fields.outputTokens) ?? 0,
          elapsedMs: offsetOf(fields.elapsedMs) ?? 0,
          ...(typeof fields.costUsd === "number" ? { costUsd: fields.costUsd } : {}),
        },
      };
    case "status": {
      const offset = offsetOf(fields.offset);
      if (typeof fields.status !== "string" || offset === null) return null;
      return {
        type: "status",
        status: fields.status as SessionStatus,
        runner: typeof fields.runner === "string" ? (fields.runner as RunnerKind) : null,
        offset,
        seams: Array.isArray(fields.seams)
          ? fields.seams.filter((seam): seam is number => offsetOf(seam) !== null)
          : [],
      };
    }
    default:
      return null;
  }
}

export function parseUserSessionMessage(event: string, payload: unknown): UserSessionMessage | null {
  if (event !== "session" || typeof payload !== "object" || payload === null) return null;
  const fields = payload as Fields;
  const text = (name: string) => (typeof fields[name] === "string" ? (fields[name] as string) : null);
  const id = text("id");
  const status = text("status");
  if (!id || !status) return null;
  return {
    id,
    status: status as SessionStatus,
    title: text("title") ?? "",
    agent: text("agent") ?? "",
    updatedAt: text("updatedAt") ?? new Date().toISOString(),
  };
}
