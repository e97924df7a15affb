/**
 * The JSON bodies of the account endpoints, part of the wire contract (`wire.ts`): the sessions
 * list, credits, notification settings, the notification history and the Telegram link. The routes
 * encode with these schemas and the browser decodes with them. Browser-safe: zod only.
 */
import { z } from "zod";
import { byteOffsetSchema, runnerKindSchema, sessionModeSchema, sessionStatusSchema } from "./wire-base.ts";

/** One row of `GET /api/sessions` (newest first). `stage`: the last progress stage, null if none. */
export const sessionListRowSchema = z.object({
  id: z.string().min(1),
  conversationId: z.string(),
  title: z.string(),
  agent: z.string(),
  status: sessionStatusSchema,
  mode: sessionModeSchema,
  runner: runnerKindSchema.nullable(),
  offset: byteOffsetSchema,
  costUsd: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  stage: z.string().nullable(),
});
export const sessionListSchema = z.array(sessionListRowSchema);

/** `GET /api/credits`: the caller's balance in credits (1 credit = US$0.01), exact to the millionth. */
export const creditsSchema = z.object({ balance: z.number() });

/** `GET /api/settings` and the answer to `PATCH /api/settings`. */
export const settingsSchema = z.object({
  email: z.string().nullable(),
  notifyEmail: z.boolean(),
  notifyTelegram: z.boolean(),
  telegram: z.object({ linked: z.boolean(), username: z.string().nullable() }),
});

/** `PATCH /api/settings`: the channel switches to change; the others stay. */
export const settingsPatchSchema = z
  .object({ notifyEmail: z.boolean().optional(), notifyTelegram: z.boolean().optional() })
  .strict();

export const notificationChannelSchema = z.enum(["email", "telegram"]);

/** One row of `GET /api/notifications` (the caller's last 50, newest first). */
export const notificationRowSchema = z.object({
  id: z.string().min(1),
  sessionId: z.string().nullable(),
  channel: notificationChannelSchema,
  kind: z.enum(["completed", "failed", "out_of_credits", "test", "telegram_status", "telegram_answer"]),
  status: z.enum(["pending", "sending", "sent", "failed"]),
  attempts: z.number().int().min(0),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  lastError: z.string().nullable(),
});
export const notificationListSchema = z.array(notificationRowSchema);

/** `POST /api/notifications/test`: which channel to send a test notification on. */
export const testNotificationRequestSchema = z.object({ channel: notificationChannelSchema });

/** `POST /api/notifications/test` answered 202: queued for the sender like any other. */
export const testNotificationAcceptedSchema = z.object({
  id: z.string().min(1),
  channel: notificationChannelSchema,
  status: z.literal("pending"),
});

/** `POST /api/telegram/link`: a one-time deep link that links the chat it is opened in. */
export const telegramLinkSchema = z.object({ url: z.string().min(1), expiresAt: z.string() });

/** A `204 No Content` answer (`DELETE /api/telegram/link`): no body at all. */
export const noContentSchema = z.undefined();

export type SessionListRow = z.infer<typeof sessionListRowSchema>;
export type Settings = z.infer<typeof settingsSchema>;
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;
export type NotificationRow = z.infer<typeof notificationRowSchema>;
export type TelegramLink = z.infer<typeof telegramLinkSchema>;
