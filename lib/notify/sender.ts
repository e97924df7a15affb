import type { Sql } from "../db/client.ts";
import { readNotificationFacts, readTelegramChatId } from "../db/notification-content.ts";
import {
  type ClaimedNotification,
  claimDueNotifications,
  keepPayload,
  recordAttempt,
} from "../db/notification-outbox.ts";
import { unlinkTelegramChat } from "../db/telegram-links.ts";
import type { Env } from "../env.ts";
import { logError, logInfo } from "../log.ts";
import { type DeliveryResult, MAX_ATTEMPTS, retryDelaySeconds } from "./delivery.ts";
import { type RenderedEmail, renderEmail, sendEmail } from "./email.ts";
import { summarize } from "./summary.ts";
import { formatTelegramMessage, type RenderedTelegramMessage, sendTelegramMessage } from "./telegram.ts";
import { deliverTelegramSessionMessage, isTelegramSessionMessage } from "./telegram-chat/session-delivery.ts";

type Payload = { email: RenderedEmail } | { telegram: RenderedTelegramMessage };

export interface SenderDeps {
  sql: Sql;
  env: Env;
}

export interface SendRound {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Claims the due notifications (all of them, or only `onlyId`) and sends each once. Transient
 * failures go back to `pending` with a backoff that honours Retry-After / retry_after; permanent
 * ones end `failed` with the reason. Never throws for a single notification.
 */
export async function deliverDueNotifications(
  deps: SenderDeps,
  options: { limit?: number; onlyId?: string } = {},
): Promise<SendRound> {
  const round: SendRound = { sent: 0, retried: 0, failed: 0 };
  const claimed = await claimDueNotifications(deps.sql, {
    limit: options.limit ?? 20,
    claimSeconds: deps.env.NOTIFY_SENDING_TIMEOUT_SECONDS,
    onlyId: options.onlyId,
  });
  await Promise.all(
    claimed.map(async (notification) => {
      const outcome = await deliverClaimed(deps, notification);
      if (outcome === "sent") round.sent += 1;
      else if (outcome === "pending") round.retried += 1;
      else round.failed += 1;
    }),
  );
  return round;
}

async function deliverClaimed(
  deps: SenderDeps,
  notification: ClaimedNotification,
): Promise<"sent" | "pending" | "failed"> {
  const ids = {
    notificationId: notification.id,
    sessionId: notification.sessionId,
    userId: notification.userId,
  };
  let result: DeliveryResult;
  try {
    result = await attempt(deps, notification);
  } catch (error) {
    logError("notification attempt failed unexpectedly", { ...ids, error });
    result = { kind: "retry", reason: error instanceof Error ? error.message : String(error) };
  }
  if (result.kind === "retry" && notification.attempt >= MAX_ATTEMPTS) {
    result = { kind: "failed", reason: `gave up after ${notification.attempt} attempts: ${result.reason}` };
  }
  if (result.kind === "failed" && result.unlink) {
    await unlinkTelegramChat(deps.sql, notification.userId);
  }
  const outcome =
    result.kind === "sent"
      ? ({ status: "sent", providerId: result.providerId } as const)
      : result.kind === "retry"
        ? ({
            status: "pending",
            error: result.reason,
            retryInSeconds: retryDelaySeconds(notification.attempt, result.retryAfterSeconds),
          } as const)
        : result.kind === "repeat"
          ? ({
              status: "pending",
              error: result.reason ?? null,
              retryInSeconds: result.afterSeconds,
            } as const)
          : ({ status: "failed", error: result.reason } as const);
  // The crash window: a sender that dies between the provider's answer and this update leaves the row
  // `sending`; it is claimed again after NOTIFY_SENDING_TIMEOUT_SECONDS (README, "Notifications").
  const recorded = await recordAttempt(deps.sql, notification, outcome);
  if (!recorded) logInfo("notification attempt outcome not recorded: claim was taken over", ids);
  if (outcome.status === "failed") logError("notification failed", { ...ids, reason: outcome.error });
  return outcome.status;
}

/** One attempt: the payload rendered once (then reused byte for byte), sent on the row's channel. */
async function attempt(deps: SenderDeps, notification: ClaimedNotification): Promise<DeliveryResult> {
  if (isTelegramSessionMessage(notification)) return deliverTelegramSessionMessage(deps, notification);
  const payload = (notification.payload as Payload | null) ?? (await renderPayload(deps, notification));
  if (!payload) return { kind: "failed", reason: "the session or the user is gone" };
  if ("email" in payload) return sendEmail(deps.env, notification, payload.email);
  const chatId = await readTelegramChatId(deps.sql, notification.userId);
  if (chatId === undefined) return { kind: "failed", reason: "telegram not linked" };
  return sendTelegramMessage(deps.env, chatId, payload.telegram);
}

async function renderPayload(
  deps: SenderDeps,
  notification: ClaimedNotification,
): Promise<Payload | undefined> {
  const facts = await readNotificationFacts(deps.sql, notification.id);
  if (!facts) return undefined;
  const summary = summarize(facts, deps.env.APP_URL);
  if (notification.channel === "email") {
    if (!facts.email) return undefined;
    return keepPayload<Payload>(deps.sql, notification.id, {
      email: await renderEmail(summary, facts.email),
    });
  }
  return keepPayload<Payload>(deps.sql, notification.id, { telegram: formatTelegramMessage(summary) });
}
